-- Absence episodes of staff contracts, each counted once however many monthly files declare it.
-- Work stoppages (S21.G00.60) merge on (contract, motive, last day worked); the absence runs from the day
-- after the last day worked to the day before the resumption, or, when no resumption is known, to the
-- end date carried by the most recent month that declares it (RH-02). Suspensions (S21.G00.65) merge on
-- (contract, motive, start date) and run from their start to their end inclusive. A code 99 / 998
-- declared for the same contract and first day cancels the episode. Motive (RH-04) through the
-- dsn_absence_motives seed; a sickness is classed courte / moyenne / longue by the duration of the whole
-- episode (RH-01), known from every file loaded.
with motives as (
    select * from {{ ref('dsn_absence_motives') }}
),

contracts as (
    select contract_key, finess, is_staff from {{ ref('int_hr_contracts') }}
),

stoppage_rows as (
    select stoppages.*, motives.motive
    from {{ ref('stg_dsn__work_stoppages') }} as stoppages
    left join motives on motives.block = 'arret' and motives.dsn_code = stoppages.reason
),

suspension_rows as (
    select suspensions.*, motives.motive
    from {{ ref('stg_dsn__suspensions') }} as suspensions
    left join motives on motives.block = 'suspension' and motives.dsn_code = suspensions.reason
),

stoppages as (
    select
        'arret' as block,
        contract_key,
        individual_key,
        reason as dsn_code,
        any_value(motive) as motive,
        last_day_worked + 1 as first_day,
        coalesce(
            max(resumption_date) - 1,
            arg_max(expected_end_date, declared_month),
            last_day(max(declared_month))
        ) as last_day,
        arg_min(_file_hash, declared_month) as _file_hash,
        arg_min(_line, declared_month) as _line
    from stoppage_rows
    where coalesce(motive, '') <> 'ANNULATION'
    group by contract_key, individual_key, reason, last_day_worked
),

suspensions as (
    select
        'suspension' as block,
        contract_key,
        individual_key,
        reason as dsn_code,
        any_value(motive) as motive,
        start_date as first_day,
        coalesce(arg_max(end_date, declared_month), last_day(max(declared_month))) as last_day,
        arg_min(_file_hash, declared_month) as _file_hash,
        arg_min(_line, declared_month) as _line
    from suspension_rows
    where coalesce(motive, '') <> 'ANNULATION'
    group by contract_key, individual_key, reason, start_date
),

cancellations as (
    select contract_key, last_day_worked + 1 as first_day from stoppage_rows where motive = 'ANNULATION'
    union
    select contract_key, start_date from suspension_rows where motive = 'ANNULATION'
),

episodes as (
    select * from stoppages
    union all
    select * from suspensions
)

select
    contracts.finess,
    episodes.block,
    episodes.contract_key,
    episodes.individual_key,
    episodes.dsn_code,
    case
        when episodes.motive is null then 'INCONNU'
        when episodes.motive <> 'MALADIE' then episodes.motive
        when episodes.last_day - episodes.first_day + 1 <= {{ var('sickness_short_max_days') }} then 'ABS_MO'
        when episodes.last_day - episodes.first_day + 1 <= {{ var('sickness_medium_max_days') }} then 'ABS_MMD'
        else 'ABS_MLD'
    end as motive_code,
    episodes.first_day,
    episodes.last_day,
    cast(episodes.last_day - episodes.first_day + 1 as integer) as episode_days,
    episodes._file_hash,
    episodes._line
from episodes
join contracts using (contract_key)
where contracts.is_staff
  and episodes.first_day is not null
  and not exists (
      select 1 from cancellations
      where cancellations.contract_key = episodes.contract_key and cancellations.first_day = episodes.first_day
  )
