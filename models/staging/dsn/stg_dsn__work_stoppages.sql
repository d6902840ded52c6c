-- Work stoppages (S21.G00.60) of the kept declarations, with the key of their contract. The same
-- stoppage is declared every month until the resumption (int_hr_absence_episodes merges them).
with stoppages as (
    {{ dsn_contract_rows('raw_dsn_work_stoppages') }}
)

select
    _file_hash,
    _line,
    _load_id,
    contract_key,
    individual_key,
    declared_month,
    reason,
    last_day_worked,
    expected_end_date,
    resumption_date
from stoppages
