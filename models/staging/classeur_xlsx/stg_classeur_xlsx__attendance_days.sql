-- No attendance days in a billing workbook: day modes come as monthly counts
-- (stg_classeur_xlsx__billed_days.present_days). Typed empty rows keep the common model's union whole.
select
    cast(null as varchar) as stay_key,
    cast(null as date) as day,
    cast(null as varchar) as _file_hash,
    cast(null as integer) as _line
where false
