-- The activity fact: one row per stay × calendar month, with every day count derived once.
-- journees_realisees follows AC-12: residential modes = days covered − absence days; day modes =
-- attendance days recorded; services = days covered by the accompagnement.
with stays as (
    select * from {{ ref('int_stays') }}
),

months as (
    select year, month, period_start as month_start, period_end as month_end
    from {{ ref('int_periods') }}
    where period_type = 'month'
),

modes as (
    select mode, is_residential, is_day_mode, is_service from {{ ref('modes') }}
),

absence_days as (
    select
        stay_key,
        date_trunc('month', day) as month_start,
        count(*) filter (where is_hospitalisation) as absent_hospital_days,
        count(*) filter (where not is_hospitalisation) as absent_other_days,
        count(*) filter (where absence_length_days <= {{ var('short_absence_max_days') }}) as short_absence_days
    from {{ ref('int_absence_days') }}
    group by all
),

attendance as (
    select stay_key, date_trunc('month', day) as month_start, count(distinct day) as attendance_days
    from ({{ union_activity_families('attendance_days') }}) as a
    group by all
),

stay_months as (
    select
        stays.stay_key,
        stays.person_key,
        stays.finess,
        stays.mode,
        stays.accompagnement_key,
        months.year,
        months.month,
        months.month_start,
        greatest(0, least(coalesce(stays.exit_date, months.month_end + 1), months.month_end + 1)
            - greatest(stays.entry_date, months.month_start)) as covered_days,
        greatest(0, least(coalesce(stays.covered_end, months.month_end + 1), months.month_end + 1)
            - greatest(stays.entry_date, months.month_start)) as accompagnement_days
    from stays
    join months
        on stays.entry_date <= months.month_end
       and coalesce(stays.covered_end, date '9999-12-31') > months.month_start
)

select
    stay_months.*,
    coalesce(absence_days.absent_hospital_days, 0) as absent_hospital_days,
    coalesce(absence_days.absent_other_days, 0) as absent_other_days,
    coalesce(attendance.attendance_days, 0) as attendance_days,
    case
        when modes.is_residential then stay_months.covered_days
            - coalesce(absence_days.absent_hospital_days, 0) - coalesce(absence_days.absent_other_days, 0)
            + coalesce(absence_days.short_absence_days, 0)
        when modes.is_day_mode then coalesce(attendance.attendance_days, 0)
        when modes.is_service then stay_months.accompagnement_days
        else 0
    end as journees_realisees,
    coalesce(modes.is_residential, false) as is_residential
from stay_months
left join modes using (mode)
left join absence_days
    on absence_days.stay_key = stay_months.stay_key and absence_days.month_start = stay_months.month_start
left join attendance
    on attendance.stay_key = stay_months.stay_key and attendance.month_start = stay_months.month_start
