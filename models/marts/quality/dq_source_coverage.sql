-- Does every source cover the months it should? One row per source × ESMS × month expected:
-- every month of the ESMS sheet's years, for each ESMS the source feeds (activite: every ESMS of the
-- sheet; dsn / fec: the ESMS the configuration maps), up to the last month the source delivered for
-- the association (every month when it delivered nothing yet). A month is covered by a stay of the
-- ESMS covering one of its days (activite), a kept DSN of the ESMS for that month (dsn,
-- int_hr_esms_months), an accounting exercise of the ESMS spanning it (fec, int_fec_exercises).
-- A missing month is a finding, never a silent zero.
with months as (
    select year, month, period_start as month_start from {{ ref('int_periods') }} where period_type = 'month'
),

sheet as (
    select distinct finess, year from {{ ref('int_esms') }}
),

activity_months as (
    select distinct finess, month_start from {{ ref('int_stay_months') }} where covered_days > 0
),

dsn_months as (
    select distinct finess, month_start from {{ ref('int_hr_esms_months') }}
),

fec_months as (
    select distinct exercises.finess, months.month_start
    from {{ ref('int_fec_exercises') }} as exercises
    join months on months.month_start between date_trunc('month', exercises.exercise_start) and exercises.exercise_end
),

delivered as (
    select 'activite' as source, finess, month_start from activity_months
    union all
    select 'dsn', finess, month_start from dsn_months
    union all
    select 'fec', finess, month_start from fec_months
),

last_delivered as (
    select 'activite' as source, max(month_start) as last_month from activity_months
    union all
    select 'dsn', max(declared_month) from {{ ref('stg_dsn__declarations') }}
    union all
    select 'fec', max(month_start) from fec_months
),

source_esms as (
    select distinct 'activite' as source, finess from sheet
    union all
    select distinct 'dsn', finess from {{ source('config', 'cfg_dsn_establishments') }}
    union all
    select distinct 'fec', finess from {{ source('config', 'cfg_fec_dossiers') }} where finess <> 'siege'
),

expected as (
    select source_esms.source, sheet.finess, months.year, months.month, months.month_start
    from source_esms
    join sheet using (finess)
    join months using (year)
    join last_delivered using (source)
    where last_delivered.last_month is null or months.month_start <= last_delivered.last_month
)

select
    expected.source,
    expected.finess,
    expected.year,
    expected.month,
    delivered.finess is not null as is_covered
from expected
left join delivered using (source, finess, month_start)
