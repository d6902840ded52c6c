-- A2-08 Pyramide des âges du personnel (RH-10): persons holding a staff contract (fixed-term included) on
-- the last day of the period, per class of staff_age_classes (completed years on that day, inclusive
-- bounds; breakdown = the class_label) / all those persons; a missing birth date is the class
-- `non renseigné`. The shares sum to 1.
with frame as (
    {{ hr_frame('A2-08') }}
),

classes as (
    select class_label, age_min, age_max from {{ ref('staff_age_classes') }}
    union all
    select 'non renseigné', null, null
),

persons as (
    select distinct finess, period_type, year, month, individual_key, age_at_end
    from {{ ref('int_hr_staff_at_period_end') }}
    where active_at_end
),

classed as (
    select
        persons.finess,
        persons.period_type,
        persons.year,
        persons.month,
        classes.class_label,
        count(*) as persons
    from persons
    join classes
        on (persons.age_at_end is null and classes.age_min is null)
        or persons.age_at_end between classes.age_min and coalesce(classes.age_max, 1000)
    group by persons.finess, persons.period_type, persons.year, persons.month, classes.class_label
),

totals as (
    select finess, period_type, year, month, count(*) as persons
    from persons
    group by finess, period_type, year, month
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        classes.class_label as breakdown,
        coalesce(classed.persons, 0) as numerator,
        coalesce(totals.persons, 0) as denominator,
        {{ indicator_status(applicable='frame.in_scope_category', inputs_present='frame.covered_at_end',
                            denominator='totals.persons') }} as status
    from frame
    cross join classes
    left join totals on {{ same_period('frame', 'totals') }}
    left join classed
        on {{ same_period('frame', 'classed') }}
       and classed.class_label = classes.class_label
)

{{ indicator_select('A2-08', breakdown='breakdown') }}
