-- A3-11 Taux d'utilisation de la dotation en soins (FI-01, FI-10, FI-16): charges of class 6 of the
-- exercise (debit − credit) in the soins section of the association's `[fec.sections]` / dotation_soins
-- of the ESMS sheet. Breakdown null = the rate; `personnel`, `prestations_fournitures_medicales`,
-- `materiel_medical` = each component / the dotation (seeds/finance/soins_components.csv, longest
-- prefix): the components sum to the rate. `missing_input` without a section mapping, without any
-- charge in the soins section (never 0) or without dotation_soins.
with frame as (
    {{ fi_frame('A3-11') }}
),

classes as (
    select cast(null as varchar) as component
    union all
    select distinct component from {{ ref('soins_components') }}
),

charges as (
    select balances.finess, balances.year, components.component, balances.closing
    from ({{ fi_section_balances() }}) as balances
    join {{ ref('soins_components') }} as components on starts_with(balances.compte_num, components.prefix)
    where balances.section = 'soins' and balances.account_class = '6'
    qualify row_number() over (
        partition by balances.finess, balances.year, balances.dossier, balances.compte_num
        order by length(components.prefix) desc
    ) = 1
),

totals as (
    select finess, year, sum(closing) as charges from charges group by finess, year
),

amounts as (
    select finess, year, component, sum(closing) as charges from charges group by finess, year, component
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        classes.component,
        case when totals.finess is not null
             then coalesce(case when classes.component is null then totals.charges else amounts.charges end, 0)
        end as numerator,
        case when frame.period_type = 'year' then frame.dotation_soins end as denominator,
        {{ fi_status('frame.dotation_soins',
                     inputs_present='totals.finess is not null and frame.dotation_soins is not null') }} as status
    from frame
    cross join classes
    left join totals on {{ fi_same_exercise('frame', 'totals') }}
    left join amounts
        on amounts.finess = totals.finess and amounts.year = totals.year and amounts.component = classes.component
)

{{ indicator_select('A3-11', breakdown='component') }}
