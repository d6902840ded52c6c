with sejours as (
    {{ latest_delivery(source('export_csv', 'raw_export_csv_sejours'), ['stay_key'], ['extraction_date']) }}
)

select
    stay_key,
    person_key,
    finess,
    {{ decode('export_csv__codes', 'mode', 'mode_label') }} as mode,
    entry_date,
    exit_date,
    {{ decode('export_csv__codes', 'provenance', 'provenance_label') }} as provenance,
    {{ decode('export_csv__codes', 'exit_motive', 'exit_motive_label') }} as exit_motive,
    creton,
    _file_hash,
    _line
from sejours
