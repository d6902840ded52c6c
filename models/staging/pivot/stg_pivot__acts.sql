with acts as (
    {{ latest_delivery(source('pivot', 'raw_pivot_acts'), ['act_key']) }}
)

select
    act_key,
    stay_key,
    day,
    kind,
    {{ decode('pivot__codes', 'act_status', 'status') }} as status,
    _file_hash,
    _line
from acts
