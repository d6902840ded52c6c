-- A1-08 Part des personnes bénéficiant d'une mesure de protection (AC-03, AC-10): personnes au 31/12
-- (end of the period) whose current record says they have a mesure de protection / personnes au 31/12.
-- An empty protection field counts as no measure (the person stays in the denominator).
with frame as (
    {{ a1_frame('A1-08') }}
),

counted as (
    select
        finess,
        period_type,
        year,
        month,
        count(distinct person_key) as persons,
        count(distinct person_key) filter (where protection) as protected_persons
    from {{ ref('int_a1_persons_at_period_end') }}
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(counted.protected_persons, 0) as numerator,
        coalesce(counted.persons, 0) as denominator,
        {{ indicator_status('frame.in_scope_category', denominator='counted.persons') }} as status
    from frame
    left join counted on {{ same_period('frame', 'counted') }}
)

{{ indicator_select('A1-08') }}
