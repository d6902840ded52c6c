-- The workbook in force for each month: the one loaded last (AC-22). Chosen on the load log, not on the
-- rows, so that a sheet emptied by a re-delivery empties that month.
with loads as (
    select
        file_hash,
        load_id,
        cast(strptime(regexp_extract(file_name, '(?i)facturation_(\d{4}-\d{2})', 1), '%Y-%m') as date)
            as workbook_month
    from {{ source('meta', 'load_log') }}
    where source_kind = 'classeur_xlsx' and status = 'charge'
)

select workbook_month, file_hash, load_id
from loads
qualify row_number() over (partition by workbook_month order by load_id desc) = 1
