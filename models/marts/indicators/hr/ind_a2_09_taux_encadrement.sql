-- A2-09 Taux d'encadrement, hors CAMSP et CMPP (RH-05, RH-06): ETP réels of every function at the end of
-- the period / places installées of the ESMS sheet (all modes) × 100, i.e. ETP pour 100 places. Scope:
-- the catalogue's categories; `missing_input` when the sheet gives no places installées.
with frame as (
    {{ hr_frame('A2-09') }}
),

places as (
    select finess, year, sum(places_installees) as places_installees
    from {{ ref('int_esms_modes') }}
    group by finess, year
),

staff as (
    select staff.finess, staff.period_type, staff.year, staff.month, {{ hr_at_end('etp') }} as etp
    from {{ ref('int_hr_staff_at_period_end') }} as staff
    group by staff.finess, staff.period_type, staff.year, staff.month
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(staff.etp, 0) as numerator,
        places.places_installees as denominator,
        {{ indicator_status(applicable='frame.in_scope_category',
                            inputs_present='frame.covered_at_end and places.places_installees is not null',
                            denominator='places.places_installees') }} as status
    from frame
    left join places on places.finess = frame.finess and places.year = frame.year
    left join staff on {{ same_period('frame', 'staff') }}
)

{{ indicator_select('A2-09', value_expression='numerator / denominator * 100') }}
