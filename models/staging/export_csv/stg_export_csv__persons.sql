-- Persons of the newest extraction that delivers each of them (AC-10, AC-22), common codes.
with usagers as (
    {{ latest_delivery(source('export_csv', 'raw_export_csv_usagers'), ['person_key'], ['extraction_date']) }}
),

associated as (
    {{ decode_list('export_csv__codes', 'deficiency', 'usagers', 'person_key', 'associated_deficiency_labels', '|') }}
)

select
    person_key,
    sex,
    birth_date,
    {{ decode('export_csv__codes', 'deficiency', 'main_deficiency_label') }} as main_deficiency,
    coalesce(associated.codes, []) as associated_deficiencies,
    protection,
    mdph_orientation,
    cast(case when gir_assessed_on is null then gir end as integer) as current_gir,
    _file_hash,
    _line
from usagers
left join associated using (person_key)
