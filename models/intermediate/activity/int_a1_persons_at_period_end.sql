-- Personnes accompagnées on the last day of each period (AC-03: an accompagnement covering period_end,
-- whatever the mode, absent or not), one row per ESMS × period × person, with what the stock indicators
-- of axis 1 read about them on that day:
-- - the stay covering period_end (the latest stay entered on or before it; on the day between a stay and
--   its next-day continuation, the stay that ended that day): its mode (age bounds of AC-07, scope of
--   AC-08) and its Creton flag (AC-07);
-- - age in completed years on period_end (AC-06), current attributes of the latest delivery (AC-10);
-- - the latest dated GIR evaluation and the latest evaluation with PATHOS points dated on or before
--   period_end (AC-08), and whether the person is in the scope of A1-03..A1-05 (setting gir_scope).
with periods as (
    select period_type, year, month, period_end from {{ ref('int_periods') }}
),

accompagnements as (
    select accompagnement_key, person_key, finess, start_date, end_date from {{ ref('int_accompagnements') }}
),

stays as (
    select stay_key, accompagnement_key, mode, entry_date, creton from {{ ref('int_stays') }}
),

persons as (
    select person_key, birth_date, main_deficiency, associated_deficiencies, protection
    from {{ ref('int_persons') }}
),

modes as (
    select mode, is_residential from {{ ref('modes') }}
),

esms as (
    select finess, year, category_code from {{ ref('int_esms') }}
),

gir_evaluations as (
    select assessments.person_key, assessments.assessed_on, assessments.gir, weights.weight
    from {{ ref('int_assessments') }} as assessments
    left join {{ ref('gir_weights') }} as weights using (gir)
    where assessments.gir is not null and assessments.assessed_on is not null
),

pathos_evaluations as (
    select person_key, assessed_on, pathos_points
    from {{ ref('int_assessments') }}
    where pathos_points is not null and assessed_on is not null
),

present as (
    select
        periods.period_type,
        periods.year,
        periods.month,
        periods.period_end,
        accompagnements.finess,
        accompagnements.person_key,
        accompagnements.accompagnement_key
    from accompagnements
    join periods
        on accompagnements.start_date <= periods.period_end
       and coalesce(accompagnements.end_date, date '9999-12-31') > periods.period_end
),

-- the covering stay is the latest entered on or before period_end, the greatest stay_key among stays
-- entered the same day: keeping that one per day makes it an as-of join instead of a window over all pairs
last_stay_of_day as (
    select * from stays
    qualify row_number() over (partition by accompagnement_key, entry_date order by stay_key desc) = 1
),

covering_stay as (
    select
        present.*,
        last_stay_of_day.stay_key,
        last_stay_of_day.mode,
        coalesce(last_stay_of_day.creton, false) as creton
    from present
    asof join last_stay_of_day
        on last_stay_of_day.accompagnement_key = present.accompagnement_key
       and last_stay_of_day.entry_date <= present.period_end
),

with_gir as (
    select covering_stay.*, gir_evaluations.assessed_on as gir_assessed_on, gir_evaluations.gir,
           gir_evaluations.weight as gir_weight
    from covering_stay
    asof left join gir_evaluations
        on gir_evaluations.person_key = covering_stay.person_key
       and covering_stay.period_end >= gir_evaluations.assessed_on
),

with_pathos as (
    select with_gir.*, pathos_evaluations.assessed_on as pathos_assessed_on, pathos_evaluations.pathos_points
    from with_gir
    asof left join pathos_evaluations
        on pathos_evaluations.person_key = with_gir.person_key
       and with_gir.period_end >= pathos_evaluations.assessed_on
)

select
    with_pathos.finess,
    esms.category_code,
    with_pathos.period_type,
    with_pathos.year,
    with_pathos.month,
    with_pathos.period_end,
    with_pathos.person_key,
    with_pathos.accompagnement_key,
    with_pathos.stay_key,
    with_pathos.mode,
    with_pathos.creton,
    persons.birth_date,
    {{ completed_years('persons.birth_date', 'with_pathos.period_end') }} as age,
    persons.main_deficiency,
    coalesce(persons.associated_deficiencies, []) as associated_deficiencies,
    persons.protection,
    {% if setting('gir_scope', ['hebergement', 'all']) == 'all' -%}
    true
    {%- else -%}
    coalesce(modes.is_residential, false)
    {%- endif %} as in_dependency_scope,
    with_pathos.gir_assessed_on,
    with_pathos.gir,
    with_pathos.gir_weight,
    with_pathos.pathos_assessed_on,
    with_pathos.pathos_points
from with_pathos
left join persons using (person_key)
left join modes using (mode)
left join esms on esms.finess = with_pathos.finess and esms.year = with_pathos.year
