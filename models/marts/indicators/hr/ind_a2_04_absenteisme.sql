-- A2-04 Taux d'absentéisme (hors formation) (RH-01 … RH-05, RH-12): calendar days of absence of the six
-- motives in the period (sickness, maternité / paternité / adoption, AT / MP with trajet, congés
-- spéciaux; congés payés and formation excluded) / (ETP réels moyens of the period × 365, or × the
-- period's days for a month or a year-to-date). `missing_input` unless the DSN covers every month of
-- the period for the ESMS.
with frame as (
    {{ hr_frame('A2-04') }}
),

absences as (
    select finess, period_type, year, month, sum(days) as days
    from {{ ref('int_hr_period_absences') }}
    group by finess, period_type, year, month
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(absences.days, 0) as numerator,
        frame.average_etp * {{ hr_absence_days_basis() }} as denominator,
        {{ indicator_status(applicable='frame.in_scope_category', inputs_present='frame.covered_throughout',
                            denominator='frame.average_etp') }} as status
    from frame
    left join absences on {{ same_period('frame', 'absences') }}
)

{{ indicator_select('A2-04') }}
