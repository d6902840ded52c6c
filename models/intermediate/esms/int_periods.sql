-- The periods every indicator is computed on, for each year of the ESMS sheet: the calendar year,
-- each calendar month, and each year-to-date (1 January to the end of the month).
-- "31/12" in a definition reads `period_end` (the last day of the month for a monthly value).
with years as (
    select distinct year from {{ ref('stg_esms__caracterisation') }}
),

months as (
    select year, cast(m as integer) as month, make_date(year, cast(m as integer), 1) as month_start
    from years, range(1, 13) as t(m)
),

periods as (
    select 'year' as period_type, year, cast(null as integer) as month,
           make_date(year, 1, 1) as period_start, make_date(year, 12, 31) as period_end
    from years
    union all
    select 'month', year, month, month_start, last_day(month_start) from months
    union all
    select 'ytd', year, month, make_date(year, 1, 1), last_day(month_start) from months
)

select
    period_type,
    year,
    month,
    period_start,
    period_end,
    cast(period_end - period_start + 1 as integer) as period_days
from periods
