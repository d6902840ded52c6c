-- Days billed per stay × month (Journees of the workbook in force): this family's day counts. The stay
-- key is the one of stg_classeur_xlsx__stays (person, ESMS, mode, entry date).
with journees as (
    select journees.*
    from {{ source('classeur_xlsx', 'raw_classeur_xlsx_journees') }} as journees
    join {{ ref('stg_classeur_xlsx__deliveries') }} as deliveries
        on deliveries.file_hash = journees._file_hash
       and deliveries.workbook_month = journees.workbook_month
)

select
    md5(concat_ws('|', person_key, finess, mode_code, entry_date)) as stay_key,
    person_key,
    finess,
    {{ decode('classeur_xlsx__codes', 'mode', 'mode_code') }} as mode,
    entry_date,
    workbook_month as month_start,
    cast(sum(coalesce(present_days, 0)) as integer) as present_days,
    cast(sum(coalesce(absent_hospital_days, 0)) as integer) as absent_hospital_days,
    cast(sum(coalesce(absent_other_days, 0)) as integer) as absent_other_days,
    min(_file_hash) as _file_hash,
    min(_line) as _line
from journees
group by person_key, finess, mode_code, entry_date, workbook_month
