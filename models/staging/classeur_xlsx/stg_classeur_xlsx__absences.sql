-- No absence periods in a billing workbook: absence days come as monthly counts
-- (stg_classeur_xlsx__billed_days). Typed empty rows keep the common model's union whole.
select
    cast(null as varchar) as stay_key,
    cast(null as date) as first_day,
    cast(null as date) as last_day,
    cast(null as varchar) as motive,
    cast(null as varchar) as _file_hash,
    cast(null as integer) as _line
where false
