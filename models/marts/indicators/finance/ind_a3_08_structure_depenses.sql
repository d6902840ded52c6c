-- A3-08 Structure des dépenses par groupe fonctionnel (FI-01, FI-02): one row per groupe, breakdown `I`,
-- `II`, `III` (seeds/finance/fec_account_groups.csv): charges of the groupe (class 6, debit − credit) /
-- charges of the three groupes; the three shares sum to 1.
with frame as (
    {{ fi_frame('A3-08') }}
),

groups as (
    select distinct groupe from {{ ref('fec_account_groups') }}
),

amounts as (
    select finess, year, groupe, sum(closing) as charges
    from {{ ref('int_fec_account_balances') }}
    where account_class = '6'
    group by finess, year, groupe
),

totals as (
    select finess, year, sum(charges) as charges from amounts group by finess, year
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        groups.groupe,
        case when frame.period_type = 'year' then coalesce(amounts.charges, 0) end as numerator,
        totals.charges as denominator,
        {{ fi_status('totals.charges') }} as status
    from frame
    cross join groups
    left join totals on {{ fi_same_exercise('frame', 'totals') }}
    left join amounts
        on amounts.finess = totals.finess and amounts.year = totals.year and amounts.groupe = groups.groupe
)

{{ indicator_select('A3-08', breakdown='groupe') }}
