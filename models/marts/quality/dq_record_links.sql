-- Records that must belong to another record, one row per record with `is_linked` (false = orphan):
-- a stay to a person, an act / absence / attendance day to a stay of the common model (an absence
-- must also overlap its stay, AC-02), a delivered FEC dossier to an ESMS or the siège (configuration).
-- The GX suite `dq_record_links` counts the orphans of each link. (DSN contracts without an ESMS are
-- checked on int_hr_contracts.finess.)
with persons as (
    select distinct person_key from {{ ref('int_persons') }}
),

stays as (
    select stay_key, person_key, finess, entry_date, exit_date from {{ ref('int_stays') }}
),

absences as (
    {{ union_activity_families('absences') }}
),

attendance as (
    {{ union_activity_families('attendance_days') }}
),

fec_dossiers as (
    select distinct dossier from {{ source('fec', 'raw_fec_files') }}
)

select
    'stay_person' as link,
    stays.stay_key as record_key,
    stays.finess,
    persons.person_key is not null as is_linked
from stays
left join persons using (person_key)

union all

select
    'act_stay',
    acts.act_key,
    stays.finess,
    stays.stay_key is not null
from {{ ref('int_acts') }} as acts
left join stays using (stay_key)

union all

select
    'absence_stay',
    absences.stay_key || '|' || strftime(absences.first_day, '%Y-%m-%d'),
    stays.finess,
    coalesce(absences.first_day < coalesce(stays.exit_date, date '9999-12-31')
             and absences.last_day >= stays.entry_date, false)
from absences
left join stays using (stay_key)

union all

select
    'attendance_stay',
    attendance.stay_key || '|' || strftime(attendance.day, '%Y-%m-%d'),
    stays.finess,
    stays.stay_key is not null
from attendance
left join stays using (stay_key)

union all

select
    'fec_dossier_esms',
    fec_dossiers.dossier,
    nullif(dossiers.finess, 'siege'),
    dossiers.finess is not null
from fec_dossiers
left join {{ source('config', 'cfg_fec_dossiers') }} as dossiers using (dossier)
