-- Month-to-month change of every monthly indicator value (headline and each class): one row per value
-- whose previous month also has an ok value, with the relative change |value − previous| / |previous|
-- (previous values of 0 are left out). The GX suite flags changes beyond its threshold.
with monthly as (
    select
        finess,
        indicator_code,
        breakdown,
        year,
        month,
        make_date(year, month, 1) as month_start,
        value
    from {{ ref('fct_indicator_values') }}
    where period_type = 'month' and status = 'ok'
),

compared as (
    select
        *,
        lag(month_start) over history as previous_month_start,
        lag(value) over history as previous_value
    from monthly
    window history as (partition by finess, indicator_code, breakdown order by month_start)
)

select
    finess,
    indicator_code,
    breakdown,
    year,
    month,
    previous_value,
    value,
    abs(value - previous_value) / abs(previous_value) as relative_change
from compared
where previous_month_start = cast(month_start - interval 1 month as date)
  and previous_value <> 0
