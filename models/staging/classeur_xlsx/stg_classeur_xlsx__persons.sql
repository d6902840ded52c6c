-- Residents of the workbooks in force; each person's attributes are those of the latest month listing
-- them (AC-10). Residents.GIR is the undated current GIR (AC-08).
with residents as (
    select residents.*
    from {{ source('classeur_xlsx', 'raw_classeur_xlsx_residents') }} as residents
    join {{ ref('stg_classeur_xlsx__deliveries') }} as deliveries
        on deliveries.file_hash = residents._file_hash
       and deliveries.workbook_month = residents.workbook_month
    qualify row_number() over (partition by person_key order by residents.workbook_month desc, _line) = 1
),

associated as (
    {{ decode_list('classeur_xlsx__codes', 'deficiency', 'residents', 'person_key', 'associated_deficiency_codes', ',') }}
)

select
    person_key,
    case sex_code when '1' then 'M' when '2' then 'F' end as sex,
    birth_date,
    {{ decode('classeur_xlsx__codes', 'deficiency', 'main_deficiency_code') }} as main_deficiency,
    coalesce(associated.codes, []) as associated_deficiencies,
    protection,
    cast(null as boolean) as mdph_orientation,
    gir as current_gir,
    _file_hash,
    _line
from residents
left join associated using (person_key)
