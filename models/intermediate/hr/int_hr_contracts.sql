-- One row per employment contract, merged over the monthly files that declare it (contract_key:
-- individual, declaring SIRET, contract number, start date). Attributes are those of the latest month.
-- End: the latest declared end (S21.G00.62; a 099 end is a cancellation), else, when the contract
-- vanishes while its SIRET keeps declaring, the end of the last month that declared it (or its planned
-- end in that month): some employers never declare S21.G00.62 (spec §1.4).
-- ESMS (spec §1.6): the FINESS géographique of the contract (.081) when it is an ESMS of the sheet, else
-- the FINESS of its workplace SIRET (.019), else that of the declaring SIRET (association configuration).
with declared as (
    select * from {{ ref('stg_dsn__contracts') }}
),

latest as (
    select * from declared
    qualify row_number() over (
        partition by contract_key order by declared_month desc, _load_id desc, contract_line desc
    ) = 1
),

spans as (
    select contract_key, min(declared_month) as first_month, max(declared_month) as last_month
    from declared
    group by contract_key
),

siret_last_months as (
    select siret, max(declared_month) as last_month
    from {{ ref('stg_dsn__declarations') }}
    group by siret
),

declared_ends as (
    select contract_key, end_date, end_reason
    from {{ ref('stg_dsn__contract_ends') }}
    qualify row_number() over (partition by contract_key order by declared_month desc, _load_id desc, _line desc) = 1
),

people as (
    select individual_key, sex, birth_date
    from {{ ref('stg_dsn__individuals') }}
    qualify row_number() over (partition by individual_key order by declared_month desc, _load_id desc) = 1
),

sheet_esms as (
    select distinct finess from {{ ref('stg_esms__caracterisation') }}
),

establishments as (
    select siret, finess from {{ source('config', 'cfg_dsn_establishments') }}
),

jobs as (
    select * from {{ ref('int_hr_job_functions') }}
)

select
    latest.contract_key,
    latest.individual_key,
    latest.siret,
    coalesce(sheet_esms.finess, workplaces.finess, latest.declaring_finess) as finess,
    latest.contract_number,
    latest.start_date,
    case
        when declared_ends.end_reason = '099' then null
        when declared_ends.end_date is not null then declared_ends.end_date
        when spans.last_month < siret_last_months.last_month then
            case when latest.planned_end_date between spans.last_month and last_day(spans.last_month)
                 then latest.planned_end_date else last_day(spans.last_month) end
    end as end_date,
    case when declared_ends.end_reason <> '099' then declared_ends.end_reason end as end_reason,
    declared_ends.end_date is null and spans.last_month < siret_last_months.last_month as end_is_inferred,
    latest.planned_end_date,
    latest.nature,
    latest.recourse_reason,
    latest.pcs_ese,
    latest.job_label,
    jobs.function_code,
    jobs.top_function_code,
    jobs.is_management,
    jobs.is_care,
    jobs.is_socio_educative,
    -- staff: not intérim, internship, mandate, civic service, nor an ESAT worker's contract (spec §1.6)
    latest.nature not in ('03', '08', '29', '70', '80', '81', '89') as is_staff,
    latest.nature in ('01', '07', '09', '50') as is_permanent,
    latest.nature in ('02', '10') and latest.recourse_reason in ('01', '12', '13') as is_replacement_cdd,
    people.sex,
    people.birth_date,
    spans.first_month,
    spans.last_month,
    latest._file_hash,
    latest.contract_line as _line
from latest
join spans using (contract_key)
left join siret_last_months using (siret)
left join declared_ends using (contract_key)
left join people using (individual_key)
left join sheet_esms on sheet_esms.finess = latest.finess_geo
left join establishments as workplaces on workplaces.siret = latest.workplace_siret
left join jobs
    on jobs.pcs_ese is not distinct from latest.pcs_ese
   and jobs.job_label is not distinct from latest.job_label
