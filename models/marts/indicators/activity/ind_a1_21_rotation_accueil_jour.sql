-- A1-21 Taux de rotation des personnes accompagnées en accueil de jour (AC-01, AC-18): (distinct persons
-- with an accueil de jour stay covering the last day of the period + accueil de jour stays ended in the
-- period) / places autorisées en accueil de jour of the ESMS sheet: persons per place (unit `nombre`, no
-- × 100). Counted on AJ stays, not on accompagnements. Applicable to ESMS whose sheet has accueil de jour
-- (AC-23); places taken as they are (AC-19).
with frame as (
    {{ a1_frame('A1-21') }}
),

day_care_stays as (
    select person_key, finess, entry_date, exit_date
    from {{ ref('int_stays') }}
    where mode = 'AJ'
),

places as (
    select finess, year, sum(places_autorisees) as places, bool_and(places_autorisees is not null) as places_present
    from {{ ref('int_esms_modes') }}
    where mode = 'AJ'
    group by all
),

counted as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        count(distinct stays.person_key) filter (
            where stays.entry_date <= frame.period_end
              and coalesce(stays.exit_date, date '9999-12-31') > frame.period_end
        ) as persons_at_end,
        count(*) filter (where stays.exit_date between frame.period_start and frame.period_end) as ended_stays
    from frame
    join day_care_stays as stays on stays.finess = frame.finess
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(counted.persons_at_end, 0) + coalesce(counted.ended_stays, 0) as numerator,
        places.places as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category and frame.has_day_care',
            inputs_present='coalesce(places.places_present, true)',
            denominator='places.places') }} as status
    from frame
    left join places on places.finess = frame.finess and places.year = frame.year
    left join counted on {{ same_period('frame', 'counted') }}
)

{{ indicator_select('A1-21') }}
