-- Days attended in a day mode, attached to the patient's stay in that facility covering the day (none: a
-- day outside any stay, kept without stay for the quality checks).
with in_force as (
    select file_hash from {{ ref('stg_base_sqlite__deliveries') }}
),

attendance as (
    select attendance.*, facilities.finess
    from {{ source('base_sqlite', 'raw_base_sqlite_attendance') }} as attendance
    left join {{ source('base_sqlite', 'raw_base_sqlite_facility') }} as facilities
        on facilities.facility_id = attendance.facility_id and facilities._file_hash = attendance._file_hash
    where attendance._file_hash in (select file_hash from in_force)
),

stays as (
    select stay_key, person_key, finess, entry_date, exit_date from {{ ref('stg_base_sqlite__stays') }}
)

select stays.stay_key, attendance.day, attendance._file_hash, attendance._line
from attendance
left join stays
    on stays.person_key = attendance.person_key
   and stays.finess = attendance.finess
   and attendance.day >= stays.entry_date
   and attendance.day < coalesce(stays.exit_date, date '9999-12-31')
qualify row_number() over (partition by attendance._line order by stays.entry_date desc) = 1
