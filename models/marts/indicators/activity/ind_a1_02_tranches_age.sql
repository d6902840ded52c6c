-- A1-02 Répartition des personnes accompagnées par tranche d'âge (AC-06): personnes au 31/12 (AC-03,
-- end of the period) of each class of person_age_classes (completed years on that day, inclusive
-- bounds) / personnes au 31/12. A missing birth date is the class `non renseigné`; the shares sum to 1.
-- Breakdown = class_label of the seed.
with frame as (
    {{ a1_frame('A1-02') }}
),

age_classes as (
    select class_label, age_min, age_max from {{ ref('person_age_classes') }}
),

facts as (
    select
        persons.finess,
        persons.period_type,
        persons.year,
        persons.month,
        persons.person_key as unit_key,
        coalesce(age_classes.class_label, 'non renseigné') as class_code
    from {{ ref('int_a1_persons_at_period_end') }} as persons
    left join age_classes
        on persons.age between age_classes.age_min and coalesce(age_classes.age_max, 1000)
),

classes as (
    select class_label as class_code from age_classes
),

scored as (
    {{ a1_class_shares('classes', 'facts') }}
)

{{ indicator_select('A1-02', breakdown='breakdown') }}
