with presences as (
    {{ latest_delivery(source('export_csv', 'raw_export_csv_presences'), ['stay_key', 'day'], ['extraction_date']) }}
)

select stay_key, day, _file_hash, _line
from presences
