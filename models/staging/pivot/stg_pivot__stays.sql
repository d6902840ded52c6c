with stays as (
    {{ latest_delivery(source('pivot', 'raw_pivot_stays'), ['stay_key']) }}
)

select
    stay_key,
    person_key,
    finess,
    mode,
    entry_date,
    exit_date,
    {{ decode('pivot__codes', 'provenance', 'provenance') }} as provenance,
    {{ decode('pivot__codes', 'exit_motive', 'exit_motive') }} as exit_motive,
    creton,
    _file_hash,
    _line
from stays
