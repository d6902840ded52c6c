-- A3-02 Taux d'atteinte des prévisions de dépenses (FI-01, FI-02): dépenses réalisées = charges of
-- class 6 (groupes I to III) of the exercise (Σ debit − credit) / dépenses prévisionnelles of the ESMS
-- sheet (budget_depenses); missing_input without the budget or without an exercise.
with frame as (
    {{ fi_frame('A3-02') }}
),

amounts as (
    select finess, year, {{ fi_net(['6']) }} as depenses
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        amounts.depenses as numerator,
        case when frame.period_type = 'year' then frame.budget_depenses end as denominator,
        {{ fi_status('frame.budget_depenses', inputs_present='frame.budget_depenses is not null') }} as status
    from frame
    left join amounts on {{ fi_same_exercise('frame', 'amounts') }}
)

{{ indicator_select('A3-02') }}
