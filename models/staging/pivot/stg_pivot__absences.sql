with absences as (
    {{ latest_delivery(source('pivot', 'raw_pivot_absences'), ['stay_key', 'first_day']) }}
)

select
    stay_key,
    first_day,
    last_day,
    coalesce({{ decode('pivot__codes', 'absence_motive', 'motive') }}, 'AUTRE') as motive,
    _file_hash,
    _line
from absences
