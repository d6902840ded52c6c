-- Declarative axis-4 items, latest delivery of each ESMS × year.
with delivered as (
    {{ latest_delivery(source('esms_sheet', 'raw_esms_axe4'), ['finess', 'year']) }}
)

select finess, year, item, value, _file_hash, _line
from delivered
