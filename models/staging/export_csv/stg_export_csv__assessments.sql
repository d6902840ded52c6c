-- A GIR with its evaluation date is a dated evaluation (AC-08); export_csv carries no PATHOS (AC-21).
with usagers as (
    {{ latest_delivery(source('export_csv', 'raw_export_csv_usagers'), ['person_key'], ['extraction_date']) }}
)

select
    person_key,
    gir_assessed_on as assessed_on,
    gir,
    cast(null as integer) as pathos_points,
    _file_hash,
    _line
from usagers
where gir is not null and gir_assessed_on is not null
