-- Patients of the file in force. Déficiences are mapped by the label of the vendor's own list
-- (`disability`), never by its codes; a code missing from that list is INCONNU (AC-27).
with in_force as (
    select file_hash from {{ ref('stg_base_sqlite__deliveries') }}
),

patients as (
    select * from {{ source('base_sqlite', 'raw_base_sqlite_patient') }}
    where _file_hash in (select file_hash from in_force)
),

disabilities as (
    select code, label, {{ decode('base_sqlite__codes', 'deficiency', 'label') }} as deficiency
    from {{ source('base_sqlite', 'raw_base_sqlite_disability') }}
    where _file_hash in (select file_hash from in_force)
),

associated as (
    select
        links.person_key,
        list(distinct coalesce(disabilities.deficiency, 'INCONNU') order by coalesce(disabilities.deficiency, 'INCONNU'))
            as associated_deficiencies
    from {{ source('base_sqlite', 'raw_base_sqlite_patient_disability') }} as links
    left join disabilities on disabilities.code = links.disability_code
    where links._file_hash in (select file_hash from in_force)
    group by links.person_key
)

select
    patients.person_key,
    patients.sex,
    patients.birth_date,
    case when patients.main_disability_code is not null then coalesce(main.deficiency, 'INCONNU') end
        as main_deficiency,
    coalesce(associated.associated_deficiencies, []) as associated_deficiencies,
    patients.protection,
    cast(null as boolean) as mdph_orientation,
    cast(null as integer) as current_gir,
    patients._file_hash,
    patients._line
from patients
left join disabilities as main on main.code = patients.main_disability_code
left join associated using (person_key)
