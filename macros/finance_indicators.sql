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
