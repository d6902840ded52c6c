-- A2-07 Répartition du personnel par fonction - Nombre d'ETP réels au 31.12 (RH-05, RH-06, RH-14): ETP of
-- the staff contracts at the end of the period per function of §7.2 (breakdown = the 11 top-level codes
-- of staff_functions; a job no rule classifies counts in AUTRE). value = the function's ETP; the
-- denominator carries the ESMS's total ETP (for shares). The headline row (breakdown null) is the total.
with frame as (
    {{ hr_frame('A2-07') }}
),

breakdowns as (
    select function_code as breakdown from {{ ref('staff_functions') }} where parent_code is null
    union all
    select null
),

staff as (
    select * from {{ ref('int_hr_staff_at_period_end') }}
),

-- summed per function first: the cross join with the breakdowns then reads a few rows per ESMS × period,
-- not every contract 12 times
staff_functions as (
    select
        staff.finess,
        staff.period_type,
        staff.year,
        staff.month,
        staff.top_function_code,
        {{ hr_at_end('etp') }} as etp
    from staff
    group by staff.finess, staff.period_type, staff.year, staff.month, staff.top_function_code
),

functions as (
    select
        staff_functions.finess,
        staff_functions.period_type,
        staff_functions.year,
        staff_functions.month,
        breakdowns.breakdown,
        coalesce(sum(staff_functions.etp) filter (
            where breakdowns.breakdown is null or staff_functions.top_function_code = breakdowns.breakdown
        ), 0) as etp,
        sum(staff_functions.etp) as total_etp
    from staff_functions
    cross join breakdowns
    group by staff_functions.finess, staff_functions.period_type, staff_functions.year, staff_functions.month,
        breakdowns.breakdown
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        breakdowns.breakdown,
        coalesce(functions.etp, 0) as numerator,
        coalesce(functions.total_etp, 0) as denominator,
        {{ indicator_status(applicable='frame.in_scope_category', inputs_present='frame.covered_at_end') }} as status
    from frame
    cross join breakdowns
    left join functions
        on {{ same_period('frame', 'functions') }}
       and functions.breakdown is not distinct from breakdowns.breakdown
)

{{ indicator_select('A2-07', value_expression='numerator', breakdown='breakdown') }}
