-- The activity fact: one row per stay × calendar month, with every day count derived once.
-- journees_realisees follows AC-12: residential modes = days covered − absence days; day modes =
-- attendance days recorded; services = days covered by the accompagnement. A family that delivers
-- billed day counts (classeur_xlsx) gives its present and absent days as billed, month by month.
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

billed as (
    select stay_key, month_start, present_days, absent_hospital_days, absent_other_days
    from ({{ union_activity_families('billed_days') }}) as b
),

billing_families as (
    select family from {{ ref('activity_family_capabilities') }} where carries_billed_days
),

stay_months as (
    select
        stays.stay_key,
        stays.person_key,
        stays.finess,
        stays.mode,
        stays.accompagnement_key,
        stays.source_family in (select family from billing_families) as is_billed,
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
),

counted as (
    select
        stay_months.*,
        modes.is_residential,
        modes.is_day_mode,
        modes.is_service,
        case when is_billed then coalesce(billed.absent_hospital_days, 0)
             else coalesce(absence_days.absent_hospital_days, 0) end as absent_hospital_days,
        case when is_billed then coalesce(billed.absent_other_days, 0)
             else coalesce(absence_days.absent_other_days, 0) end as absent_other_days,
        case when is_billed then coalesce(billed.present_days, 0)
             else coalesce(attendance.attendance_days, 0) end as attendance_days,
        case when is_billed then 0 else coalesce(absence_days.short_absence_days, 0) end as short_absence_days,
        billed.present_days as billed_present_days
    from stay_months
    left join modes using (mode)
    left join absence_days
        on absence_days.stay_key = stay_months.stay_key and absence_days.month_start = stay_months.month_start
    left join attendance
        on attendance.stay_key = stay_months.stay_key and attendance.month_start = stay_months.month_start
    left join billed
        on billed.stay_key = stay_months.stay_key and billed.month_start = stay_months.month_start
)

select
    stay_key,
    person_key,
    finess,
    mode,
    accompagnement_key,
    year,
    month,
    month_start,
    covered_days,
    accompagnement_days,
    absent_hospital_days,
    absent_other_days,
    attendance_days,
    case
        when is_service then accompagnement_days
        when is_billed and (is_residential or is_day_mode) then coalesce(billed_present_days, 0)
        when is_residential then covered_days - absent_hospital_days - absent_other_days + short_absence_days
        when is_day_mode then attendance_days
        else 0
    end as journees_realisees,
    coalesce(is_residential, false) as is_residential,
    is_billed
from counted
