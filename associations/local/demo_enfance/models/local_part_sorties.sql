-- L-01, indicator of the association only: sorties définitives / (admissions + sorties définitives) of the
-- period, every mode (events of int_a1_period_events, AC-04).
with frame as (
    {{ esms_periods('L-01') }}
),

events as (
    select finess, period_type, year, month,
           count(*) filter (where event = 'sortie') as exits,
           count(*) as movements
    from {{ ref('int_a1_period_events') }}
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(events.exits, 0) as numerator,
        coalesce(events.movements, 0) as denominator,
        {{ indicator_status('frame.in_scope_category', denominator='events.movements') }} as status
    from frame
    left join events on {{ same_period('frame', 'events') }}
)

{{ indicator_select('L-01') }}
