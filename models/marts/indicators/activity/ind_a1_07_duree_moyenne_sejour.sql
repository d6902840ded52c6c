-- A1-07 Durée moyenne de séjour / d'accompagnement (AC-11, AC-25): sorties définitives of the period
-- (AC-04) whose last stay is neither hébergement temporaire nor accueil de jour; numerator = Σ durations
-- in days (exit date − entry date of the accompagnement; setting length_of_stay_basis = "last_stay": of
-- its last stay only), denominator = number of those exits, value = the mean. No such exit: not_applicable
-- for the period (AC-26).
{%- set basis = setting('length_of_stay_basis', ['accompagnement', 'last_stay']) %}
with frame as (
    {{ a1_frame('A1-07') }}
),

exits as (
    select finess, period_type, year, month,
           {{ 'last_stay_days' if basis == 'last_stay' else 'accompagnement_days' }} as length_days
    from {{ ref('int_a1_period_events') }}
    where event = 'sortie' and mode not in ('HT', 'AJ')
),

counted as (
    select finess, period_type, year, month, sum(length_days) as length_days, count(*) as exits
    from exits
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(counted.length_days, 0) as numerator,
        coalesce(counted.exits, 0) as denominator,
        {{ indicator_status('frame.in_scope_category', denominator='counted.exits') }} as status
    from frame
    left join counted on {{ same_period('frame', 'counted') }}
)

{{ indicator_select('A1-07') }}
