-- One row per ESMS × person × calendar day of absence counted by the TDB (RH-02, RH-04): the episodes of
-- the six motives, clipped to the years of the ESMS sheet. A person-day counts once: a work stoppage
-- takes precedence over a suspension, then the motive of lowest sort order (hr_absence_motives).
with episodes as (
    select * from {{ ref('int_hr_absence_episodes') }}
),

motives as (
    select code, sort_order from {{ ref('hr_absence_motives') }}
),

bounds as (
    select min(period_start) as first_day, max(period_end) as last_day from {{ ref('int_periods') }}
),

days as (
    select
        episodes.finess,
        episodes.individual_key,
        episodes.block,
        episodes.motive_code,
        motives.sort_order,
        cast(unnest(generate_series(
            greatest(episodes.first_day, bounds.first_day),
            least(episodes.last_day, bounds.last_day),
            interval 1 day
        )) as date) as day
    from episodes
    join motives on motives.code = episodes.motive_code
    cross join bounds
    where episodes.first_day <= bounds.last_day
      and episodes.last_day >= bounds.first_day
      and episodes.last_day >= episodes.first_day
      and episodes.finess is not null
)

select
    finess,
    individual_key,
    day,
    cast(date_trunc('month', day) as date) as month_start,
    motive_code
from days
qualify row_number() over (
    partition by finess, individual_key, day order by block = 'suspension', sort_order
) = 1
