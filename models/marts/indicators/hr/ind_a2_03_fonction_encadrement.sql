-- A2-03 Taux de personnels occupant une fonction de gestion d'équipe ou de management (RH-05, RH-06,
-- RH-08, RH-14): ETP at the end of the period of the Direction / Encadrement functions (staff_functions
-- is_management) / ETP of every function at that date (setting `headcount`: persons instead of ETP).
{%- set basis = setting('management_basis', ['etp', 'headcount']) %}
with frame as (
    {{ hr_frame('A2-03') }}
),

staff as (
    select
        staff.finess,
        staff.period_type,
        staff.year,
        staff.month,
        {{ hr_at_end(basis, 'staff.is_management') }} as management,
        {{ hr_at_end(basis) }} as total
    from {{ ref('int_hr_staff_at_period_end') }} as staff
    group by staff.finess, staff.period_type, staff.year, staff.month
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(staff.management, 0) as numerator,
        coalesce(staff.total, 0) as denominator,
        {{ indicator_status(applicable='frame.in_scope_category', inputs_present='frame.covered_at_end',
                            denominator='staff.total') }} as status
    from frame
    left join staff on {{ same_period('frame', 'staff') }}
)

{{ indicator_select('A2-03') }}
