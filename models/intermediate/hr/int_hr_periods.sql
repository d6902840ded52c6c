-- One row per ESMS covered by the DSN × period of int_periods: how many of the period's months the DSN
-- covers (flows need all of them, stocks the month of the period's end) and the ETP réels moyens of the
-- period = mean of its monthly ETP, a month without DSN counting 0 (RH-05; RH-03 multiplies it).
with period_months as (
    select * from {{ ref('int_period_months') }}
),

esms_months as (
    select * from {{ ref('int_hr_esms_months') }}
),

periods as (
    select period_type, year, month, count(*) as months_in_period, max(month_start) as last_month
    from period_months
    group by period_type, year, month
),

covered as (
    select
        esms_months.finess,
        period_months.period_type,
        period_months.year,
        period_months.month,
        count(*) as months_covered,
        max(esms_months.month_start) as last_covered_month,
        sum(esms_months.etp) as etp_month_sum
    from period_months
    join esms_months using (month_start)
    group by esms_months.finess, period_months.period_type, period_months.year, period_months.month
)

select
    covered.finess,
    covered.period_type,
    covered.year,
    covered.month,
    periods.months_in_period,
    covered.months_covered,
    covered.months_covered = periods.months_in_period as covered_throughout,
    covered.last_covered_month = periods.last_month as covered_at_end,
    covered.etp_month_sum / periods.months_in_period as average_etp
from covered
join periods
    on periods.period_type = covered.period_type
   and periods.year = covered.year
   and periods.month is not distinct from covered.month
