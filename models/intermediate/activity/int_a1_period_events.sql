-- Admissions and sorties définitives (AC-04) per period: one row per event × period containing it (a
-- year, a month, every year-to-date from its month on). Events are counted on accompagnements: an
-- admission is the start of one, a sortie définitive its end (exit day in the period); a mode change is
-- neither, a readmission after a gap of more than one day is a new admission. An admission is classed
-- by the mode and provenance of the first stay, a sortie by the mode and exit motive of the last (AC-25);
-- a code no mapping knows (INCONNU) or an empty one counts as `INC` (provenance / destination
-- inconnue, AC-27). A sortie carries two lengths in days (AC-11): exit − entry of the accompagnement, and
-- exit − entry of its last stay (the setting length_of_stay_basis chooses in A1-07).
with periods as (
    select period_type, year, month, period_start, period_end from {{ ref('int_periods') }}
),

accompagnements as (
    select * from {{ ref('int_accompagnements') }}
),

last_stays as (
    select accompagnement_key, max(entry_date) as last_stay_entry
    from {{ ref('int_stays') }}
    group by accompagnement_key
),

provenances as (
    select code from {{ ref('provenances') }}
),

exit_motives as (
    select code from {{ ref('exit_motives') }}
),

events as (
    select
        accompagnements.accompagnement_key,
        accompagnements.person_key,
        accompagnements.finess,
        'admission' as event,
        accompagnements.start_date as event_date,
        accompagnements.first_mode as mode,
        coalesce(provenances.code, 'INC') as class_code,
        cast(null as integer) as accompagnement_days,
        cast(null as integer) as last_stay_days
    from accompagnements
    left join provenances on provenances.code = accompagnements.provenance
    union all
    select
        accompagnements.accompagnement_key,
        accompagnements.person_key,
        accompagnements.finess,
        'sortie' as event,
        accompagnements.end_date as event_date,
        accompagnements.last_mode as mode,
        coalesce(exit_motives.code, 'INC') as class_code,
        cast(accompagnements.end_date - accompagnements.start_date as integer) as accompagnement_days,
        cast(accompagnements.end_date - last_stays.last_stay_entry as integer) as last_stay_days
    from accompagnements
    left join last_stays using (accompagnement_key)
    left join exit_motives on exit_motives.code = accompagnements.exit_motive
    where accompagnements.end_date is not null
)

select
    events.finess,
    periods.period_type,
    periods.year,
    periods.month,
    events.event,
    events.event_date,
    events.accompagnement_key,
    events.person_key,
    events.mode,
    events.class_code,
    events.accompagnement_days,
    events.last_stay_days
from events
join periods on events.event_date between periods.period_start and periods.period_end
