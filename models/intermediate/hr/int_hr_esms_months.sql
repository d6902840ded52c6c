-- One row per ESMS × month that the DSN covers: a kept monthly declaration of a SIRET of the ESMS
-- (association configuration; an « annule » declaration covers nothing), or contracts attributed to it
-- that month. `etp` = Σ of the staff contracts' monthly ETP (RH-05).
with declared as (
    select declaring_finess as finess, declared_month as month_start
    from {{ ref('stg_dsn__declarations') }}
    where declaring_finess is not null and declaration_type <> '04'
),

contract_months as (
    select * from {{ ref('int_hr_contract_months') }}
),

covered as (
    select finess, month_start from declared
    union
    select finess, month_start from contract_months where finess is not null
),

etp as (
    select finess, month_start, sum(etp) as etp
    from contract_months
    where is_staff
    group by finess, month_start
)

select
    covered.finess,
    covered.month_start,
    coalesce(etp.etp, 0) as etp
from covered
left join etp using (finess, month_start)
