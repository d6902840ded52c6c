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
