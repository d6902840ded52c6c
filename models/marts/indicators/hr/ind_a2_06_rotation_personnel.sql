-- A2-06 Taux de rotation des personnels (RH-09): ((arrivals + departures) / 2) / persons holding such a
-- contract on the day before the period starts (31/12 of the previous year for a year), from contract
-- dates (so also when last year's files are absent). Permanent contracts only (natures 01, 07, 09, 50;
-- setting `all` = every staff contract): arrivals = contracts starting in the period, departures =
-- contracts ending in it (end motive neither 099 annulation nor 998 transfer without rupture).
{%- set scope = setting('staff_rotation_contracts', ['permanent', 'all']) %}
with frame as (
    {{ hr_frame('A2-06') }}
),

contracts as (
    select * from {{ ref('int_hr_contracts') }}
    where is_staff {% if scope == 'permanent' %}and is_permanent{% endif %}
),

movements as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        count(*) filter (where contracts.start_date between frame.period_start and frame.period_end) as arrivals,
        count(*) filter (
            where contracts.end_date between frame.period_start and frame.period_end
              and coalesce(contracts.end_reason, '') not in ('099', '998')
        ) as departures,
        count(distinct contracts.individual_key) filter (
            where contracts.start_date < frame.period_start
              and (contracts.end_date is null or contracts.end_date >= frame.period_start - 1)
        ) as staff_before
    from frame
    join contracts on contracts.finess = frame.finess
    group by frame.finess, frame.period_type, frame.year, frame.month
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        (coalesce(movements.arrivals, 0) + coalesce(movements.departures, 0)) / 2 as numerator,
        coalesce(movements.staff_before, 0) as denominator,
        {{ indicator_status(applicable='frame.in_scope_category', inputs_present='frame.covered_throughout',
                            denominator='movements.staff_before') }} as status
    from frame
    left join movements on {{ same_period('frame', 'movements') }}
)

{{ indicator_select('A2-06') }}
