-- Contract ends (S21.G00.62) of the kept declarations, with the key of their contract.
with ends as (
    {{ dsn_contract_rows('raw_dsn_contract_ends') }}
)

select
    _file_hash,
    _line,
    _load_id,
    contract_key,
    declared_month,
    end_date,
    end_reason
from ends
