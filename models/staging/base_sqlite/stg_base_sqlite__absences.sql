-- Absence periods: from the leaving day to the day before the return (AC-02). An absence with no return
-- lasts until the discharge, or, the stay going on, until the end of the last period: 31 December of the
-- last year of the ESMS sheet, or of the file's latest movement. Attached to the stay covering its first
-- day (none: an absence outside its stay, kept without stay for the quality checks).
with episodes as (
    select * from {{ ref('stg_base_sqlite__episodes') }} where stream in ('hospital', 'leave')
),

stays as (
    select stay_key, person_key, finess, entry_date, exit_date from {{ ref('stg_base_sqlite__stays') }}
),

horizon as (
    select greatest(
        (select make_date(max(year), 12, 31) from {{ ref('stg_esms__caracterisation') }}),
        (select make_date(year(greatest(max(start_date), max(end_date))), 12, 31)
         from {{ ref('stg_base_sqlite__episodes') }})
    ) as last_day
),

attached as (
    select
        stays.stay_key,
        episodes.start_date as first_day,
        least(
            coalesce(episodes.end_date, horizon.last_day + 1),
            coalesce(stays.exit_date, horizon.last_day + 1)
        ) - 1 as last_day,
        episodes.movement_type,
        episodes._file_hash,
        episodes._line
    from episodes
    cross join horizon
    left join stays
        on stays.person_key = episodes.person_key
       and stays.finess = episodes.finess
       and episodes.start_date >= stays.entry_date
       and episodes.start_date < coalesce(stays.exit_date, date '9999-12-31')
    qualify row_number() over (partition by episodes.movement_id order by stays.entry_date desc) = 1
)

select
    stay_key,
    first_day,
    cast(last_day as date) as last_day,
    coalesce({{ decode('base_sqlite__codes', 'absence_motive', 'movement_type') }}, 'AUTRE') as motive,
    _file_hash,
    _line
from attached
where last_day >= first_day
