-- A1-12 Taux d'hospitalisation complète (AC-15): days absent for hospitalisation complète or HAD in the
-- period / days covered by the stays in the period (present + absent), residential modes (HP, HT, INT)
-- only; [entry, exit) (AC-01), absences clipped to the stay and the period, a day in two absences counted
-- once, hospitalisation first (AC-02, AC-24). Applicable where the sheet has a residential mode (AC-23).
with frame as (
    {{ a1_frame('A1-12') }}
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
        coalesce(days.residential_hospital_days, 0) as numerator,
        coalesce(days.residential_covered_days, 0) as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category and frame.has_residential_mode',
            denominator='days.residential_covered_days') }} as status
    from frame
    left join days on {{ same_period('frame', 'days') }}
)

{{ indicator_select('A1-12') }}
