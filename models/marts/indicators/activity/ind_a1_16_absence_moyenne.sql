-- A1-16 Nombre moyen de journées d'absence des personnes accompagnées (AC-16): days absent in the period
-- (every motive, residential modes HP, HT, INT; a day counted once, AC-02, AC-24) / distinct persons
-- with at least one day absent in the period. Applicable where the sheet has a residential mode (AC-23);
-- nobody absent: not_applicable for the period (AC-26).
with frame as (
    {{ a1_frame('A1-16') }}
),

days as (
    select * from {{ ref('int_a1_period_days') }}
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(days.residential_absence_days, 0) as numerator,
        coalesce(days.residential_absent_persons, 0) as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category and frame.has_residential_mode',
            denominator='days.residential_absent_persons') }} as status
    from frame
    left join days on {{ same_period('frame', 'days') }}
)

{{ indicator_select('A1-16') }}
