-- One row per contract × month declared (RH-05): the quotité of that month's declaration over the
-- quotité of reference, capped at 1, for hour- and day-based units (10 heure, 12 journée, 20 forfait
-- jour, 21 forfait heure; no ratio otherwise, e.g. 99 non concerné), × days active in the month / days
-- of the month. Absences do not reduce it (ETP réels).
with declared as (
    select * from {{ ref('stg_dsn__contracts') }}
    qualify row_number() over (
        partition by contract_key, declared_month order by _load_id desc, contract_line desc
    ) = 1
),

contracts as (
    select * from {{ ref('int_hr_contracts') }}
),

months as (
    select
        contracts.*,
        declared.declared_month as month_start,
        last_day(declared.declared_month) as month_end,
        case
            when declared.quotite_unit in ('10', '12', '20', '21') and declared.quotite_reference > 0
                then least(declared.quotite / declared.quotite_reference, 1.0)
        end as etp_ratio
    from declared
    join contracts using (contract_key)
),

active as (
    select
        *,
        greatest(
            date_diff('day', greatest(start_date, month_start), least(coalesce(end_date, month_end), month_end)) + 1,
            0
        ) as active_days,
        cast(date_diff('day', month_start, month_end) + 1 as integer) as month_days,
        coalesce(start_date <= month_end, true) and (end_date is null or end_date >= month_end)
            as active_at_month_end
    from months
)

select
    finess,
    contract_key,
    individual_key,
    month_start,
    month_end,
    etp_ratio,
    active_days,
    month_days,
    etp_ratio * active_days / month_days as etp,
    active_at_month_end,
    function_code,
    top_function_code,
    is_management,
    is_care,
    is_socio_educative,
    is_staff,
    sex,
    birth_date
from active
