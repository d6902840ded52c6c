-- Calendar days of absence per ESMS × period of int_periods × motive of the TDB (RH-02): the person-days
-- of int_hr_absence_days falling in the period's months.
with days as (
    select finess, month_start, motive_code, count(*) as days
    from {{ ref('int_hr_absence_days') }}
    group by finess, month_start, motive_code
),

period_months as (
    select * from {{ ref('int_period_months') }}
)

select
    days.finess,
    period_months.period_type,
    period_months.year,
    period_months.month,
    days.motive_code,
    sum(days.days) as days
from days
join period_months using (month_start)
group by days.finess, period_months.period_type, period_months.year, period_months.month, days.motive_code
