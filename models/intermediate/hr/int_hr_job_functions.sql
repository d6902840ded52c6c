-- Every job of the DSN contracts (PCS-ESE × job label) → function of the TDB (RH-14, spec §7.2): the
-- matching keyword of lowest priority in the job label wins, else the PCS-ESE code, else `AUTRE`
-- (Autres fonctions, listed by dq_hr_jobs_to_classify until the association classifies the job).
with jobs as (
    select distinct pcs_ese, job_label from {{ ref('stg_dsn__contracts') }}
),

rules as (
    select * from {{ ref('dsn_job_functions') }}
),

functions as (
    select * from {{ ref('staff_functions') }}
),

words as (
    select
        pcs_ese,
        job_label,
        -- capitals without accents, one space between words, a space at both ends
        ' ' || trim(regexp_replace(upper(strip_accents(coalesce(job_label, ''))), '[^A-Z0-9]+', ' ', 'g')) || ' '
            as label_words
    from jobs
),

by_keyword as (
    select
        words.pcs_ese,
        words.job_label,
        first(rules.function_code order by rules.priority, length(rules.pattern) desc, rules.function_code)
            as function_code
    from words
    join rules
        on rules.rule = 'keyword' and words.label_words like '% ' || rules.pattern || '%'
    group by words.pcs_ese, words.job_label
),

classified as (
    select
        jobs.pcs_ese,
        jobs.job_label,
        coalesce(by_keyword.function_code, by_pcs.function_code) as function_code,
        case when by_keyword.function_code is not null then 'keyword'
             when by_pcs.function_code is not null then 'pcs' end as matched_by
    from jobs
    left join by_keyword
        on by_keyword.pcs_ese is not distinct from jobs.pcs_ese
       and by_keyword.job_label is not distinct from jobs.job_label
    left join rules as by_pcs
        on by_pcs.rule = 'pcs' and by_pcs.pattern = jobs.pcs_ese
)

select
    classified.pcs_ese,
    classified.job_label,
    coalesce(classified.function_code, 'AUTRE') as function_code,
    coalesce(functions.parent_code, functions.function_code) as top_function_code,
    functions.is_management,
    functions.is_care,
    functions.is_socio_educative,
    classified.matched_by is null as is_unclassified
from classified
join functions on functions.function_code = coalesce(classified.function_code, 'AUTRE')
