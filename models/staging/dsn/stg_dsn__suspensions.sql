-- Other suspensions of a contract (S21.G00.65) of the kept declarations, with the key of their contract.
with suspensions as (
    {{ dsn_contract_rows('raw_dsn_suspensions') }}
)

select
    _file_hash,
    _line,
    _load_id,
    contract_key,
    individual_key,
    declared_month,
    reason,
    start_date,
    end_date
from suspensions
