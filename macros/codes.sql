{#
  Vendor code → common code through a family's mapping seed (seeds/mappings/<family>__codes.csv).
  An unmapped code is not dropped: it becomes INCONNU (AC-27) and is listed by the family's
  stg_<family>__unknown_codes model.
#}
{% macro decode(mapping, domain, column) %}
    case
        when {{ column }} is null then null
        else coalesce(
            (select max(m.common_code) from {{ ref(mapping) }} as m
             where m.domain = '{{ domain }}' and m.vendor_code = {{ column }}),
            'INCONNU'
        )
    end
{% endmacro %}

{# Vendor codes of `relation`.`column` that the mapping does not know, with where they were first seen. #}
{% macro unknown_codes(mapping, family, domain, relation, column, split=none) %}
    select
        '{{ family }}' as family,
        '{{ domain }}' as domain,
        code as vendor_code,
        count(*) as rows,
        min(_source_file) as first_file,
        min(_line) as first_line
    from (
        select {% if split %}trim(unnest(string_split({{ column }}, '{{ split }}'))){% else %}{{ column }}{% endif %} as code,
               _source_file, _line
        from {{ relation }}
    ) as codes
    where code is not null and code <> ''
      and code not in (select vendor_code from {{ ref(mapping) }} where domain = '{{ domain }}')
    group by code
{% endmacro %}

{# A delimited list of vendor codes → one row per `key` with the list of common codes (unknown → INCONNU). #}
{% macro decode_list(mapping, domain, relation, key, column, separator) %}
    select
        items.{{ key }},
        list(distinct coalesce(m.common_code, 'INCONNU') order by coalesce(m.common_code, 'INCONNU')) as codes
    from (
        select {{ key }}, trim(unnest(string_split({{ column }}, '{{ separator }}'))) as code
        from {{ relation }}
    ) as items
    left join {{ ref(mapping) }} as m on m.domain = '{{ domain }}' and m.vendor_code = items.code
    where items.code <> ''
    group by items.{{ key }}
{% endmacro %}
