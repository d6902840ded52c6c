-- Appointments as acts, attached to the patient's stay in that facility covering the day, else to the
-- nearest one (an act before the admission still belongs to its ESMS).
with in_force as (
    select file_hash from {{ ref('stg_base_sqlite__deliveries') }}
),

appointments as (
    select appointments.*, facilities.finess
    from {{ source('base_sqlite', 'raw_base_sqlite_appointment') }} as appointments
    left join {{ source('base_sqlite', 'raw_base_sqlite_facility') }} as facilities
        on facilities.facility_id = appointments.facility_id and facilities._file_hash = appointments._file_hash
    where appointments._file_hash in (select file_hash from in_force)
),

stays as (
    select stay_key, person_key, finess, entry_date, exit_date from {{ ref('stg_base_sqlite__stays') }}
),

attached as (
    select appointments.*, stays.stay_key
    from appointments
    left join stays on stays.person_key = appointments.person_key and stays.finess = appointments.finess
    qualify row_number() over (
        partition by appointments.act_key
        order by
            case
                when appointments.day < stays.entry_date then stays.entry_date - appointments.day
                when appointments.day >= stays.exit_date then appointments.day - stays.exit_date + 1
                else 0
            end nulls last,
            stays.entry_date desc
    ) = 1
)

select
    act_key,
    stay_key,
    day,
    kind,
    {{ decode('base_sqlite__codes', 'act_status', 'status') }} as status,
    _file_hash,
    _line
from attached
