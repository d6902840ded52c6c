-- A1-01 Taux de personnes en dérogation ou hors autorisation pour motifs d'âge (AC-07): personnes au
-- 31/12 (AC-03, end of the period) whose age in completed years (AC-06) is below age_min or above
-- age_max of the sheet's row for the mode of the stay covering that day (inclusive bounds; an empty
-- bound does not apply, nor does any bound for a mode the sheet has no row for) / personnes au 31/12. A person without a birth date stays in the denominator,
-- never in the numerator. Not applicable when no row of the ESMS's sheet gives a bound.
-- Breakdown `creton` (« dont amendement Creton »): persons in dérogation whose covering stay carries the
-- Creton flag, over the same denominator; children's ESMS only, not_available when the activity family
-- does not carry the flag (AC-21).
with frame as (
    {{ a1_frame('A1-01') }}
),

persons as (
    select * from {{ ref('int_a1_persons_at_period_end') }}
),

age_bounds as (
    select finess, year, mode, age_min, age_max from {{ ref('int_esms_modes') }}
),

sheet_bounds as (
    select finess, year, bool_or(age_min is not null or age_max is not null) as has_age_bounds
    from {{ ref('int_esms_modes') }}
    group by all
),

assessed as (
    select
        persons.finess,
        persons.period_type,
        persons.year,
        persons.month,
        persons.person_key,
        coalesce(persons.age < age_bounds.age_min or persons.age > age_bounds.age_max, false) as in_derogation,
        persons.creton
    from persons
    left join age_bounds
        on age_bounds.finess = persons.finess and age_bounds.year = persons.year and age_bounds.mode = persons.mode
),

counted as (
    select
        finess,
        period_type,
        year,
        month,
        count(distinct person_key) as persons,
        count(distinct person_key) filter (where in_derogation) as derogations,
        count(distinct person_key) filter (where in_derogation and creton) as creton_derogations
    from assessed
    group by all
),

breakdowns as (
    select cast(null as varchar) as breakdown
    union all
    select 'creton'
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        breakdowns.breakdown,
        coalesce(case when breakdowns.breakdown is null then counted.derogations else counted.creton_derogations end, 0)
            as numerator,
        coalesce(counted.persons, 0) as denominator,
        {{ indicator_status(
            applicable='frame.in_scope_category and coalesce(sheet_bounds.has_age_bounds, false)
                        and (breakdowns.breakdown is null or frame.is_children)',
            available='breakdowns.breakdown is null or frame.carries_creton',
            denominator='counted.persons') }} as status
    from frame
    cross join breakdowns
    left join sheet_bounds on sheet_bounds.finess = frame.finess and sheet_bounds.year = frame.year
    left join counted on {{ same_period('frame', 'counted') }}
)

{{ indicator_select('A1-01', breakdown='breakdown') }}
