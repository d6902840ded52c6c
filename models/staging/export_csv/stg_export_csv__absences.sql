-- Absence periods (Début..Fin inclusive, AC-02), keyed by stay and first day across extractions.
with absences as (
    {{ latest_delivery(source('export_csv', 'raw_export_csv_absences'), ['stay_key', 'first_day'], ['extraction_date']) }}
)

select
    stay_key,
    first_day,
    last_day,
    coalesce({{ decode('export_csv__codes', 'absence_motive', 'motive_label') }}, 'AUTRE') as motive,
    _file_hash,
    _line
from absences
