-- Which calendar months make up each period: flows of a period are sums over its months.
with periods as (
    select * from {{ ref('int_periods') }}
),

months as (
    select year, month, period_start as month_start from periods where period_type = 'month'
)

select
    periods.period_type,
    periods.year,
    periods.month,
    months.month_start
from periods
join months
    on months.year = periods.year
   and months.month_start between periods.period_start and periods.period_end
