-- Staff contracts of each ESMS in the month of each period's end (int_periods): whether the contract is
-- active on the last day (31/12 for the year) and its ETP there (RH-06): `snapshot` = its quotité ratio
-- when active on that day; `december_average` = its ETP of that month (RH-05). Age in completed years on
-- that day (RH-10).
{%- set method = setting('etp_year_end_method', ['snapshot', 'december_average']) %}
with periods as (
    select distinct period_type, year, month, period_end from {{ ref('int_periods') }}
),

contract_months as (
    select * from {{ ref('int_hr_contract_months') }} where is_staff and finess is not null
)

select
    contract_months.finess,
    periods.period_type,
    periods.year,
    periods.month,
    periods.period_end,
    contract_months.contract_key,
    contract_months.individual_key,
    contract_months.function_code,
    contract_months.top_function_code,
    contract_months.is_management,
    contract_months.is_care,
    contract_months.is_socio_educative,
    contract_months.active_at_month_end as active_at_end,
    {%- if method == 'snapshot' %}
    case when contract_months.active_at_month_end then coalesce(contract_months.etp_ratio, 0) else 0 end
    {%- else %}
    coalesce(contract_months.etp, 0)
    {%- endif %} as etp_at_end,
    contract_months.birth_date,
    date_diff('year', contract_months.birth_date, periods.period_end)
        - case when strftime(periods.period_end, '%m%d') < strftime(contract_months.birth_date, '%m%d') then 1 else 0 end
        as age_at_end
from periods
join contract_months on contract_months.month_start = date_trunc('month', periods.period_end)
