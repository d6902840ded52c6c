with attendance as (
    {{ latest_delivery(source('pivot', 'raw_pivot_attendance_days'), ['stay_key', 'day']) }}
)

select stay_key, day, _file_hash, _line
from attendance
