-- Stays: the ADM → DIS episodes; the entry day counts, the discharge day does not (AC-01). No Creton flag
-- in this database (AC-21).
with episodes as (
    select * from {{ ref('stg_base_sqlite__episodes') }} where stream = 'stay'
)

select
    md5(person_key || '|' || movement_id) as stay_key,
    person_key,
    finess,
    {{ decode('base_sqlite__codes', 'mode', 'care_mode') }} as mode,
    start_date as entry_date,
    end_date as exit_date,
    {{ decode('base_sqlite__codes', 'provenance', 'origin') }} as provenance,
    {{ decode('base_sqlite__codes', 'exit_motive', 'reason') }} as exit_motive,
    cast(null as boolean) as creton,
    _file_hash,
    _line
from episodes
