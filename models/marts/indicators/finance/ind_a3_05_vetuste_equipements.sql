-- A3-05 Taux de vétusté des équipements (FI-01, FI-03): (2815 + 2818) / (215 + 218), credit balances of
-- the depreciation accounts over debit balances of the gross values, per account at the closing date.
-- Each part is also given as a breakdown: `installations_techniques` (2815 / 215: installations
-- techniques, matériel et outillage) and `autres_immobilisations` (2818 / 218: autres immobilisations
-- corporelles), as CNSA / DIAMANT split them.
with frame as (
    {{ fi_frame('A3-05') }}
),

amounts as (
    select
        finess,
        year,
        {{ fi_credit_balances(['2815']) }} as amortissements_215,
        {{ fi_debit_balances(['215']) }} as brut_215,
        {{ fi_credit_balances(['2818']) }} as amortissements_218,
        {{ fi_debit_balances(['218']) }} as brut_218
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

parts as (
    select finess, year, cast(null as varchar) as breakdown, amortissements_215 + amortissements_218 as amortissements,
           brut_215 + brut_218 as valeur_brute
    from amounts
    union all
    select finess, year, 'installations_techniques', amortissements_215, brut_215 from amounts
    union all
    select finess, year, 'autres_immobilisations', amortissements_218, brut_218 from amounts
),

frame_parts as (
    select frame.*, breakdowns.breakdown
    from frame
    cross join (values (cast(null as varchar)), ('installations_techniques'), ('autres_immobilisations')) as breakdowns(breakdown)
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        frame.breakdown,
        parts.amortissements as numerator,
        parts.valeur_brute as denominator,
        {{ fi_status('parts.valeur_brute') }} as status
    from frame_parts as frame
    left join parts
        on {{ fi_same_exercise('frame', 'parts') }} and parts.breakdown is not distinct from frame.breakdown
)

{{ indicator_select('A3-05', breakdown='breakdown') }}
