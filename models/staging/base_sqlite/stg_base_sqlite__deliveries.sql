-- The database file in force: the one loaded last replaces the previous one whole (AC-22). Chosen on the
-- load log, not on the rows, so that a table emptied in the newest file is empty.
select file_hash, load_id
from {{ source('meta', 'load_log') }}
where source_kind = 'base_sqlite' and status = 'charge'
order by load_id desc
limit 1
