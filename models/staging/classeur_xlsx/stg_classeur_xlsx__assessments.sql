-- Dated GIR / PATHOS evaluations of the workbooks in force (AC-08); one per person and date.
with evaluations as (
    select evaluations.*
    from {{ source('classeur_xlsx', 'raw_classeur_xlsx_evaluations') }} as evaluations
    join {{ ref('stg_classeur_xlsx__deliveries') }} as deliveries
        on deliveries.file_hash = evaluations._file_hash
       and deliveries.workbook_month = evaluations.workbook_month
    qualify row_number() over (
        partition by person_key, assessed_on order by evaluations.workbook_month desc, _line
    ) = 1
)

select person_key, assessed_on, gir, pathos_points, _file_hash, _line
from evaluations
