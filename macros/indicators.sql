{#
  The indicator contract. Every indicator model returns exactly these columns, one row per
  ESMS × period (× breakdown class), including the rows where the indicator does not apply.
#}
{% macro indicator_columns() %}
    finess, period_type, year, month, indicator_code, breakdown, numerator, denominator, value, status
{% endmacro %}

{#
  Every ESMS of the sheet × every period of its year (annual, each month, year-to-date). Given an
  indicator code, also `in_scope_category`: whether the ESMS's category is in the catalogue's
  applicable_categories of that indicator (AC-23).
#}
{% macro esms_periods(code=none) %}
    select
        e.*,
        p.period_type,
        p.month,
        p.period_start,
        p.period_end,
        p.period_days
        {%- if code %},
        coalesce(
            catalogue.applicable_categories = 'tous'
            or list_contains(string_split(catalogue.applicable_categories, ' '), e.category_code),
            false
        ) as in_scope_category
        {%- endif %}
    from {{ ref('int_esms') }} as e
    join {{ ref('int_periods') }} as p using (year)
    {%- if code %}
    cross join (
        select applicable_categories from {{ ref('dim_indicators') }} where code = '{{ code }}'
    ) as catalogue
    {%- endif %}
{% endmacro %}

{# Join condition: `right` holds values of the same ESMS and period as `left` (month is null for a year). #}
{% macro same_period(left, right) %}
    {{ right }}.finess = {{ left }}.finess
    and {{ right }}.period_type = {{ left }}.period_type
    and {{ right }}.year = {{ left }}.year
    and {{ right }}.month is not distinct from {{ left }}.month
{% endmacro %}

{#
  Status of a value, decided in the order of AC-28: not applicable (scope), not available (the
  activity family cannot carry the input, AC-21), missing input (ESMS sheet lacks a value), then an
  empty denominator (AC-26); otherwise ok. failed_checks is laid over in fct_indicator_values.
#}
{% macro indicator_status(applicable='true', available='true', inputs_present='true', denominator=none) %}
    case
        when not coalesce({{ applicable }}, false) then 'not_applicable'
        when not coalesce({{ available }}, false) then 'not_available'
        when not coalesce({{ inputs_present }}, false) then 'missing_input'
        {%- if denominator is not none %}
        when coalesce({{ denominator }}, 0) = 0 then 'not_applicable'
        {%- endif %}
        else 'ok'
    end
{% endmacro %}

{# Final select of an indicator model whose CTE `scored` has numerator, denominator and status. #}
{% macro indicator_select(code, value_expression='numerator / denominator', relation='scored', breakdown='null') %}
    select
        finess,
        period_type,
        year,
        month,
        '{{ code }}' as indicator_code,
        cast({{ breakdown }} as varchar) as breakdown,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        case when status = 'ok' then cast({{ value_expression }} as double) end as value,
        status
    from {{ relation }}
{% endmacro %}

{# The value of a setting (dbt var) checked against its allowed values: a typo fails the build clearly. #}
{% macro setting(name, allowed) %}
    {%- set value = var(name) -%}
    {%- if value not in allowed -%}
        {{ exceptions.raise_compiler_error("paramètre « " ~ name ~ " » : valeur « " ~ value ~ " » inconnue (valeurs possibles : " ~ allowed | join(', ') ~ ")") }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{# A Python value (string, number, boolean, none) passed in a var, as an SQL literal. #}
{% macro sql_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true or value is sameas false -%}{{ value | lower }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
