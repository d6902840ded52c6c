-- Contracts of the kept declarations, one row per contract block of a monthly file (the same contract
-- appears in every monthly file while it runs; contract_key identifies it across files).
with contracts as (
    {{ dsn_kept_rows('raw_dsn_contracts') }}
)

select
    _file_hash,
    _line as contract_line,
    _load_id,
    {{ dsn_contract_key('individual_key', 'siret', 'contract_number', 'start_date') }} as contract_key,
    individual_key,
    individual_line,
    siret,
    declaring_finess,
    declared_month,
    contract_number,
    start_date,
    planned_end_date,
    nature,
    recourse_reason,
    conventional_status,
    lower(pcs_ese) as pcs_ese,
    job_label,
    quotite_unit,
    quotite,
    quotite_reference,
    workplace_siret,
    finess_geo
from contracts
where individual_key is not null
