-- The indicator definitions this association runs: the shared catalogue as of its release (the release's
-- catalogue fields, var `catalogue_overrides`, over seeds/indicator_catalogue.csv), plus its own local
-- indicators (var `local_indicators`, is_local), and whether its local settings make an indicator's
-- values local variants (the indicator cites a decision settled differently, var `variant_decisions`;
-- "*" marks every indicator). Readers (dashboards, exports) take the definitions from here.
{%- set overrides = var('catalogue_overrides', {}) %}
{%- set local_rows = var('local_indicators', []) %}
{%- set variants = var('variant_decisions', []) %}
{%- set fields = [] %}
{%- for row in overrides.values() %}{% for name in row %}{% if name not in fields %}{% do fields.append(name) %}{% endif %}{% endfor %}{% endfor %}

with definitions as (
    select *{% if fields %} replace (
        {%- for name in fields %}
        case code
            {%- for code, row in overrides.items() if name in row %}
            when {{ sql_literal(code) }} then {{ sql_literal(row[name]) }}
            {%- endfor %}
            else {{ name }}
        end as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    ){% endif %},
        false as is_local
    from {{ ref('indicator_catalogue') }}
    {%- for row in local_rows %}
    union all by name
    select {% for name, value in row.items() %}{{ sql_literal(value) }} as {{ name }}, {% endfor %}true as is_local
    {%- endfor %}
)

select
    *,
    {%- if '*' in variants %}
    true
    {%- elif variants %}
    list_has_any(string_split(coalesce(decision_ids, ''), ' '), [{% for d in variants %}{{ sql_literal(d) }}{{ ", " if not loop.last }}{% endfor %}])
    {%- else %}
    false
    {%- endif %} as local_variant
from definitions
