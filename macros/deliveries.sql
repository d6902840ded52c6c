{#
  Re-delivered files: raw tables keep every file ever loaded; staging keeps, for each business key,
  the rows of the most recent delivery of that key (AC-22, RH-12, FI-01). "Most recent" is decided by
  `order_by` (e.g. an extraction date) and then by load order.
#}
{% macro latest_delivery(relation, key_columns, order_by=[]) %}
    select r.*, l.load_id as _load_id
    from {{ relation }} as r
    join {{ source('meta', 'load_log') }} as l
        on l.file_hash = r._file_hash and l.status = 'charge'
    qualify dense_rank() over (
        partition by {{ key_columns | join(', ') }}
        order by {% for expression in order_by %}{{ expression }} desc nulls last, {% endfor %}l.load_id desc
    ) = 1
{% endmacro %}
