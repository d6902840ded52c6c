-- Jobs of the DSN contracts that no rule of seeds/hr/dsn_job_functions.csv classifies (RH-14): they count
-- in « Autres fonctions » until the association classifies them. One row per job, with its contracts.
with jobs as (
    select * from {{ ref('int_hr_job_functions') }} where is_unclassified
),

contracts as (
    select pcs_ese, job_label, finess, contract_key from {{ ref('int_hr_contracts') }}
)

select
    jobs.pcs_ese,
    jobs.job_label,
    count(distinct contracts.contract_key) as contracts,
    string_agg(distinct contracts.finess, ' ' order by contracts.finess) as finess_list
from jobs
join contracts
    on contracts.pcs_ese is not distinct from jobs.pcs_ese
   and contracts.job_label is not distinct from jobs.job_label
group by jobs.pcs_ese, jobs.job_label
