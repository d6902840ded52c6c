-- A1-09 Taux d'occupation des places habilitées par des bénéficiaires de l'aide sociale départementale
-- à l'hébergement (AC-20): no activity family carries the ASH status, so the value comes from the ESMS
-- sheet only: beneficiaires_aide_sociale (persons on 31/12) / places_habilitees_aide_sociale.
-- Applicable where the sheet has places habilitées (AC-23). missing_input when a row with places
-- habilitées lacks the number of beneficiaries, and for every period that does not end on 31/12 (a
-- month, a year-to-date before December): the sheet declares the stock on 31/12 only, which cannot be
-- spread like a flow (AC-19) nor stand for another day.
with frame as (
    {{ a1_frame('A1-09') }}
),

sheet as (
    select
        finess,
        year,
        coalesce(bool_and(beneficiaires_aide_sociale is not null)
            filter (where coalesce(places_habilitees_aide_sociale, 0) > 0), false) as beneficiaries_declared
    from {{ ref('int_esms_modes') }}
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        case when frame.period_end = make_date(frame.year, 12, 31) then frame.beneficiaires_aide_sociale end
            as numerator,
        frame.places_habilitees_aide_sociale as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category and frame.has_places_habilitees',
            inputs_present='sheet.beneficiaries_declared and frame.period_end = make_date(frame.year, 12, 31)',
            denominator='frame.places_habilitees_aide_sociale') }} as status
    from frame
    left join sheet on sheet.finess = frame.finess and sheet.year = frame.year
)

{{ indicator_select('A1-09') }}
