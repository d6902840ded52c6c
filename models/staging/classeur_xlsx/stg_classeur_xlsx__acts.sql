-- A billing workbook carries no acts (AC-21: the act indicators are not_available for this family).
select
    cast(null as varchar) as act_key,
    cast(null as varchar) as stay_key,
    cast(null as date) as day,
    cast(null as varchar) as kind,
    cast(null as varchar) as status,
    cast(null as varchar) as _file_hash,
    cast(null as integer) as _line
where false
