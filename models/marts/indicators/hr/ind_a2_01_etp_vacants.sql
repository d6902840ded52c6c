-- A2-01 Taux d'ETP vacants (RH-05, RH-06, RH-07, RH-14): (ETP budgétés of the ESMS sheet − ETP réels at
-- the end of the period) / ETP budgétés (setting `annual_average`: ETP réels moyens of the period). The
-- « dont » sub-rates (breakdown `soins` = fonctions paramédicale et médicale, `socio_educatif` =
-- fonction socio-éducative) use the sheet's budgeted ETP of the function: `missing_input` without it.
{%- set basis = setting('vacancy_etp_basis', ['year_end', 'annual_average']) %}
with frame as (
    {{ hr_frame('A2-01') }}
),

breakdowns as (
    select * from (values (cast(null as varchar)), ('soins'), ('socio_educatif')) as t(breakdown)
),

{%- if basis == 'year_end' %}
realised as (
    select
        staff.finess,
        staff.period_type,
        staff.year,
        staff.month,
        {{ hr_at_end('etp') }} as etp,
        {{ hr_at_end('etp', 'staff.is_care') }} as etp_soins,
        {{ hr_at_end('etp', 'staff.is_socio_educative') }} as etp_socio_educatif
    from {{ ref('int_hr_staff_at_period_end') }} as staff
    group by staff.finess, staff.period_type, staff.year, staff.month
),
{%- else %}
realised as (
    select
        contract_months.finess,
        period_months.period_type,
        period_months.year,
        period_months.month,
        -- means over the period's months (RH-05): the months are counted from the period, not the data
        sum(contract_months.etp) / any_value(hr.months_in_period) as etp,
        coalesce(sum(contract_months.etp) filter (where contract_months.is_care), 0)
            / any_value(hr.months_in_period) as etp_soins,
        coalesce(sum(contract_months.etp) filter (where contract_months.is_socio_educative), 0)
            / any_value(hr.months_in_period) as etp_socio_educatif
    from {{ ref('int_hr_contract_months') }} as contract_months
    join {{ ref('int_period_months') }} as period_months using (month_start)
    join {{ ref('int_hr_periods') }} as hr
        on hr.finess = contract_months.finess
       and hr.period_type = period_months.period_type
       and hr.year = period_months.year
       and hr.month is not distinct from period_months.month
    where contract_months.is_staff
    group by contract_months.finess, period_months.period_type, period_months.year, period_months.month
),
{%- endif %}

values_per_breakdown as (
    select
        frame.*,
        breakdowns.breakdown,
        case breakdowns.breakdown
            when 'soins' then frame.etp_budgetes_soins
            when 'socio_educatif' then frame.etp_budgetes_socio_educatif
            else frame.etp_budgetes
        end as budget,
        case breakdowns.breakdown
            when 'soins' then realised.etp_soins
            when 'socio_educatif' then realised.etp_socio_educatif
            else realised.etp
        end as realised_etp
    from frame
    cross join breakdowns
    left join realised on {{ same_period('frame', 'realised') }}
),

scored as (
    select
        finess,
        period_type,
        year,
        month,
        breakdown,
        budget - coalesce(realised_etp, 0) as numerator,
        budget as denominator,
        {{ indicator_status(
            applicable='in_scope_category',
            inputs_present=('covered_at_end' if basis == 'year_end' else 'covered_throughout') ~ ' and budget is not null',
            denominator='budget') }} as status
    from values_per_breakdown
)

{{ indicator_select('A2-01', breakdown='breakdown') }}
