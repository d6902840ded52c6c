-- Vendor codes that no mapping seed knows: counted as INCONNU (AC-27), to be completed by the
-- association in seeds/mappings/<family>__codes.csv.
{%- for family in var('activity_families') %}
select * from {{ ref('stg_' ~ family ~ '__unknown_codes') }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
