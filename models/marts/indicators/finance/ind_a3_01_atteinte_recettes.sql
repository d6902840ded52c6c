-- A3-01 Taux d'atteinte des prévisions de recettes (FI-01): recettes réalisées = products of class 7
-- of the exercise (Σ credit − debit) / recettes prévisionnelles of the ESMS sheet (budget_recettes, BP
-- or EPRD); missing_input without the budget or without an exercise.
with frame as (
    {{ fi_frame('A3-01') }}
),

amounts as (
    select finess, year, -{{ fi_net(['7']) }} as recettes
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        amounts.recettes as numerator,
        case when frame.period_type = 'year' then frame.budget_recettes end as denominator,
        {{ fi_status('frame.budget_recettes', inputs_present='frame.budget_recettes is not null') }} as status
    from frame
    left join amounts on {{ fi_same_exercise('frame', 'amounts') }}
)

{{ indicator_select('A3-01') }}
