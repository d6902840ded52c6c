-- A2-05 Taux d'absentéisme par motif (RH-01 … RH-05): the A2-04 rate restricted to one motive of
-- hr_absence_motives (breakdown = its code: ABS_MO, ABS_MMD, ABS_MLD, ABS_MAT, ABS_ATMP, ABS_CS); the
-- headline row (breakdown null) is the sum of the six, = A2-04. Same denominator and status as A2-04.
with frame as (
    {{ hr_frame('A2-05') }}
),

breakdowns as (
    select code as breakdown from {{ ref('hr_absence_motives') }}
    union all
    select null
),

-- Each absence once under its motive and once under the headline (null) breakdown, so that the join
-- below is an equality (hash) join: an `or` in its condition made it a nested loop, quadratic in size.
absences as (
    select *, motive_code as breakdown_key from {{ ref('int_hr_period_absences') }} where motive_code is not null
    union all
    select *, null as breakdown_key from {{ ref('int_hr_period_absences') }}
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        breakdowns.breakdown,
        coalesce(sum(absences.days), 0) as numerator,
        any_value(frame.average_etp) * any_value({{ hr_absence_days_basis() }}) as denominator,
        any_value({{ indicator_status(applicable='frame.in_scope_category',
                                      inputs_present='frame.covered_throughout',
                                      denominator='frame.average_etp') }}) as status
    from frame
    cross join breakdowns
    left join absences
        on {{ same_period('frame', 'absences') }}
       and absences.breakdown_key is not distinct from breakdowns.breakdown
    group by frame.finess, frame.period_type, frame.year, frame.month, breakdowns.breakdown
)

{{ indicator_select('A2-05', breakdown='breakdown') }}
