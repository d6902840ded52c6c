-- Every indicator value of the association, in long format: one row per ESMS × period × indicator
-- (× breakdown class). The list of indicator models comes from seeds/indicator_catalogue.csv (column
-- `model`), passed by the pipeline as the var `indicator_models`: one indicator = one catalogue row +
-- one model, nothing to add here. Each value records the release of the definitions it was computed under
-- (definitions_release), whether a local setting makes it a local variant, and whether its indicator is one
-- of the association's local indicators (dim_indicators).
{{ config(post_hook="create or replace table main.fct_indicator_values_quality_run as select "
                      ~ latest_quality_run() ~ " as run_id") }}
{%- set indicator_models = var('indicator_models') %}
{%- if not indicator_models %}
    {{ exceptions.raise_compiler_error("var 'indicator_models' is empty: run dbt through the pipeline (tdbms run)") }}
{%- endif %}

with indicator_values as (
    {%- for model in indicator_models %}
    select {{ indicator_columns() }} from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

catalogue as (
    select * from {{ ref('dim_indicators') }}
),

esms as (
    select finess, year, category_code from {{ ref('int_esms') }}
),

blocked as (
    {{ blocked_indicators() }}
)

select
    indicator_values.finess,
    esms.category_code,
    indicator_values.period_type,
    indicator_values.year,
    indicator_values.month,
    indicator_values.indicator_code,
    indicator_values.breakdown,
    indicator_values.numerator,
    indicator_values.denominator,
    indicator_values.value,
    catalogue.unit,
    catalogue.definition_version,
    catalogue.confidence,
    {{ sql_literal(var('definitions_release', '')) }} as definitions_release,
    catalogue.local_variant,
    catalogue.is_local,
    -- a blocking quality check that failed on an input marks the value; it is still computed and shown
    case
        when indicator_values.status = 'ok'
         and exists (select 1 from blocked where blocked.indicator_code in (indicator_values.indicator_code, '*'))
            then 'failed_checks'
        else indicator_values.status
    end as status
from indicator_values
join catalogue on catalogue.code = indicator_values.indicator_code
left join esms on esms.finess = indicator_values.finess and esms.year = indicator_values.year
