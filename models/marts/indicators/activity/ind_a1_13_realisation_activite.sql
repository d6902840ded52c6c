-- A1-13 Taux de réalisation de l'activité, tout ESMS hors CAMSP et CMPP (AC-12, AC-14, AC-19):
-- journées réalisées of every mode (AC-12) / journées financées of the ESMS sheet (sum over its mode
-- rows). An ESMS whose sheet gives actes_finances is paid by the act: acts done (status réalisé) dated in
-- the period / actes financés, not_available where the activity family carries no acts (AC-21). The
-- yearly sheet quantity is spread over a shorter period by calendar days (AC-19). missing_input when a
-- mode row lacks journees_financees (or, paid by the act, when actes_finances is missing).
with frame as (
    {{ a1_frame('A1-13') }}
),

sheet as (
    select finess, year, bool_and(journees_financees is not null) as journees_financees_complete
    from {{ ref('int_esms_modes') }}
    group by all
),

days as (
    select * from {{ ref('int_a1_period_days') }}
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
        case when frame.has_actes_finances then coalesce(acts.acts_done, 0)
             else coalesce(days.journees_realisees, 0) end as numerator,
        {{ a1_spread('case when frame.has_actes_finances then frame.actes_finances else frame.journees_financees end') }}
            as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category',
            available='not frame.has_actes_finances or frame.carries_acts',
            inputs_present='case when frame.has_actes_finances then frame.actes_finances is not null
                                 else sheet.journees_financees_complete end',
            denominator='case when frame.has_actes_finances then frame.actes_finances else frame.journees_financees end') }}
            as status
    from frame
    left join sheet on sheet.finess = frame.finess and sheet.year = frame.year
    left join days on {{ same_period('frame', 'days') }}
    left join acts on {{ same_period('frame', 'acts') }}
)

{{ indicator_select('A1-13') }}
