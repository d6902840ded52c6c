-- A2-10 Nombre de CDD de remplacement (RH-11): contracts of nature 02 or 10 whose motif de recours is a
-- legal replacement case (01, 12, 13), signed in the period (start date in it; setting `active`: active
-- at some day of the period), counted per contract. `missing_input` unless the DSN covers every month of
-- the period.
{%- set basis = setting('replacement_cdd_basis', ['signed', 'active']) %}
with frame as (
    {{ hr_frame('A2-10') }}
),

contracts as (
    select * from {{ ref('int_hr_contracts') }} where is_replacement_cdd
),

counted as (
    select frame.finess, frame.period_type, frame.year, frame.month, count(*) as contracts
    from frame
    join contracts
        on contracts.finess = frame.finess
    {%- if basis == 'signed' %}
       and contracts.start_date between frame.period_start and frame.period_end
    {%- else %}
       and contracts.start_date <= frame.period_end
       and (contracts.end_date is null or contracts.end_date >= frame.period_start)
    {%- endif %}
    group by frame.finess, frame.period_type, frame.year, frame.month
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(counted.contracts, 0) as numerator,
        cast(null as double) as denominator,
        {{ indicator_status(applicable='frame.in_scope_category', inputs_present='frame.covered_throughout') }}
            as status
    from frame
    left join counted on {{ same_period('frame', 'counted') }}
)

{{ indicator_select('A2-10', value_expression='numerator') }}
