-- A1-17 Part des actes / séances programmés non réalisés (AC-17): (cancelled + no-show) / (done +
-- cancelled + no-show), acts dated in the period (an act of unknown status is in neither term).
-- Applicable where the ESMS sheet gives actes_finances (AC-23); not_available where the activity family
-- carries no acts (AC-21).
with frame as (
    {{ a1_frame('A1-17') }}
),

acts as (
    select * from {{ ref('int_a1_period_acts') }}
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(acts.acts_cancelled + acts.acts_no_show, 0) as numerator,
        coalesce(acts.acts_done + acts.acts_cancelled + acts.acts_no_show, 0) as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category and frame.has_actes_finances',
            available='frame.carries_acts',
            denominator='acts.acts_done + acts.acts_cancelled + acts.acts_no_show') }} as status
    from frame
    left join acts on {{ same_period('frame', 'acts') }}
)

{{ indicator_select('A1-17') }}
