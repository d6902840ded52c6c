-- A1-14 Taux de réalisation de l'activité, CAMSP et CMPP (AC-14, AC-19): acts and séances done (status
-- réalisé) dated in the period / actes financés of the ESMS sheet, spread over a shorter period by
-- calendar days. CAMSP and CMPP only (AC-23); not_available where the activity family carries no acts
-- (AC-21); missing_input when the sheet lacks actes_finances.
with frame as (
    {{ a1_frame('A1-14') }}
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
        coalesce(acts.acts_done, 0) as numerator,
        {{ a1_spread('frame.actes_finances') }} as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category',
            available='frame.carries_acts',
            inputs_present='frame.actes_finances is not null',
            denominator='frame.actes_finances') }} as status
    from frame
    left join acts on {{ same_period('frame', 'acts') }}
)

{{ indicator_select('A1-14') }}
