{#
  The common activity model is the union of every activity family's staging models (Fivetran style):
  each family's folder models/staging/<family>/ produces the same columns; families without data
  contribute no rows. The list comes from the pipeline (pipelines/sources.py), passed as a var.
#}
{% macro union_activity_families(entity) %}
    {%- for family in var('activity_families') %}
    select '{{ family }}' as source_family, * from {{ ref('stg_' ~ family ~ '__' ~ entity) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}

{# Typed empty rows for the families whose day counts come from stays, absences and attendance. #}
{% macro no_billed_days() %}
    select
        cast(null as varchar) as stay_key,
        cast(null as varchar) as person_key,
        cast(null as varchar) as finess,
        cast(null as varchar) as mode,
        cast(null as date) as entry_date,
        cast(null as date) as month_start,
        cast(null as integer) as present_days,
        cast(null as integer) as absent_hospital_days,
        cast(null as integer) as absent_other_days,
        cast(null as varchar) as _file_hash,
        cast(null as integer) as _line
    where false
{% endmacro %}
