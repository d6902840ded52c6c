{#
  Shared logic of the finance indicator models (models/marts/indicators/finance/: A3-xx and A2-02),
  computed from the trial balance of the ESMS's accounting dossiers (int_fec_account_balances, one row
  per ESMS × year × dossier × account, `closing` = Σ debit − credit).
#}

{#
  The frame of a finance indicator: every ESMS of the sheet × every period of its year (esms_periods),
  plus in_scope_category (catalogue `applicable_categories` of `code`), has_exercise (a kept FEC of one
  of its dossiers closes in the year, FI-01) and exercise_usable (no blocking check failed in it).
#}
{% macro fi_frame(code) %}
    select
        frame.*,
        exercises.year is not null as has_exercise,
        coalesce(exercises.is_usable, false) as exercise_usable
    from ({{ esms_periods(code) }}) as frame
    left join {{ ref('int_fec_exercises') }} as exercises
        on exercises.finess = frame.finess and exercises.year = frame.year
{% endmacro %}

{# The accounts of the given prefixes, minus those of the `exclude` prefixes (PCG numbering). #}
{% macro fi_accounts(prefixes, exclude=[]) -%}
    ({% for prefix in prefixes %}starts_with(compte_num, '{{ prefix }}'){% if not loop.last %} or {% endif %}{% endfor %})
    {%- for prefix in exclude %} and not starts_with(compte_num, '{{ prefix }}'){% endfor %}
{%- endmacro %}

{# Aggregates over int_fec_account_balances rows: net balance (debit − credit), and the débiteur or
   créditeur balances, split per account before they are summed (spec §2.4 step 5). #}
{% macro fi_net(prefixes, exclude=[]) -%}
    coalesce(sum(case when {{ fi_accounts(prefixes, exclude) }} then closing end), 0)
{%- endmacro %}

{% macro fi_debit_balances(prefixes, exclude=[]) -%}
    coalesce(sum(case when {{ fi_accounts(prefixes, exclude) }} and closing > 0 then closing end), 0)
{%- endmacro %}

{% macro fi_credit_balances(prefixes, exclude=[]) -%}
    coalesce(sum(case when {{ fi_accounts(prefixes, exclude) }} and closing < 0 then -closing end), 0)
{%- endmacro %}

{# Result of the year: products − charges = −Σ(debit − credit) of classes 6 and 7 (the FEC has no
   closing entries, so it is not yet in account 12). #}
{% macro fi_result() -%}
    (-{{ fi_net(['6', '7']) }})
{%- endmacro %}

{#
  Status of a finance value (AC-28 order, as indicator_status): values are per exercise, so only the
  annual period has one (`not_applicable` for months and year-to-date); then the category scope;
  `missing_input` without an exercise for the year (or without another input, e.g. the sheet's budget);
  `not_applicable` for an empty denominator (AC-26); `failed_checks` when a blocking check of the FEC
  failed (its figures cannot be used); else `ok`.
#}
{% macro fi_status(denominator, inputs_present='true') %}
    case
        when frame.period_type <> 'year' then 'not_applicable'
        when not frame.in_scope_category then 'not_applicable'
        when not frame.has_exercise or not coalesce({{ inputs_present }}, false) then 'missing_input'
        when coalesce({{ denominator }}, 0) = 0 then 'not_applicable'
        when not frame.exercise_usable then 'failed_checks'
        else 'ok'
    end
{% endmacro %}

{# Join condition of the annual amounts of an ESMS to its frame rows (months and year-to-date get none). #}
{% macro fi_same_exercise(frame, amounts) %}
    {{ amounts }}.finess = {{ frame }}.finess and {{ amounts }}.year = {{ frame }}.year and {{ frame }}.period_type = 'year'
{% endmacro %}

{#
  Class-6 and class-7 rows of int_fec_account_balances with their EHPAD tariff section (FI-10): the
  association's `[fec.sections]` (source cfg_fec_sections) gives one regular expression per section,
  searched in the account number; an account matching several rules goes to the first section of
  seeds/finance/tariff_sections.csv, an account matching none is in no section (left out).
#}
{% macro fi_section_balances() %}
    select balances.*, account_sections.section
    from {{ ref('int_fec_account_balances') }} as balances
    join (
        -- the section depends on the account number only: each distinct number is matched once (a
        -- pattern read from a table is compiled again for every row it is tried on)
        select accounts.compte_num, sections.section
        from (
            select distinct compte_num from {{ ref('int_fec_account_balances') }} where account_class in ('6', '7')
        ) as accounts
        join {{ source('config', 'cfg_fec_sections') }} as rules
            on regexp_matches(accounts.compte_num, rules.account_pattern)
        join {{ ref('tariff_sections') }} as sections on sections.section = rules.section
        qualify row_number() over (partition by accounts.compte_num order by sections.sort_order) = 1
    ) as account_sections using (compte_num)
    where balances.account_class in ('6', '7')
{% endmacro %}

{#
  A3-09 / A3-10, the whole model: the share of each tariff section (breakdown = section code) in the
  products (account_class '7', credit − debit) or the charges ('6', debit − credit) of the three sections.
  `missing_input` without a section mapping or when no account of that class of the exercise falls in a
  section (never 0).
#}
{% macro fi_section_shares(code, account_class) %}
with frame as (
    {{ fi_frame(code) }}
),

sections as (
    select section from {{ ref('tariff_sections') }}
),

amounts as (
    select finess, year, section, {{ '-' if account_class == '7' }}sum(closing) as amount
    from ({{ fi_section_balances() }}) as balances
    where account_class = '{{ account_class }}'
    group by finess, year, section
),

totals as (
    select finess, year, sum(amount) as amount from amounts group by finess, year
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        sections.section,
        case when totals.finess is not null then coalesce(amounts.amount, 0) end as numerator,
        totals.amount as denominator,
        {{ fi_status('totals.amount', inputs_present='totals.finess is not null') }} as status
    from frame
    cross join sections
    left join totals on {{ fi_same_exercise('frame', 'totals') }}
    left join amounts
        on amounts.finess = totals.finess and amounts.year = totals.year and amounts.section = sections.section
)

{{ indicator_select(code, breakdown='section') }}
{% endmacro %}

{#
  The end of a finance ratio model: after CTEs `frame` (fi_frame) and `amounts` (one row per ESMS ×
  exercise), the ratio numerator / denominator of the exercise, with its status (fi_status).
#}
{% macro fi_ratio(code, numerator, denominator) %}
scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        {{ numerator }} as numerator,
        {{ denominator }} as denominator,
        {{ fi_status(denominator) }} as status
    from frame
    left join amounts on {{ fi_same_exercise('frame', 'amounts') }}
)

{{ indicator_select(code) }}
{% endmacro %}
