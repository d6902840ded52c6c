-- export_csv has no act id: an act is identified by its stay, date and type.
with actes as (
    {{ latest_delivery(source('export_csv', 'raw_export_csv_actes'), ['stay_key', 'day', 'kind_label'], ['extraction_date']) }}
)

select
    md5(stay_key || '|' || day || '|' || coalesce(kind_label, '')) as act_key,
    stay_key,
    day,
    kind_label as kind,
    {{ decode('export_csv__codes', 'act_status', 'status_label') }} as status,
    _file_hash,
    _line
from actes
