-- Dated GIR / PATHOS evaluations of the file in force (AC-08).
select person_key, assessed_on, gir, pathos_points, _file_hash, _line
from {{ source('base_sqlite', 'raw_base_sqlite_dependency_assessment') }}
where _file_hash in (select file_hash from {{ ref('stg_base_sqlite__deliveries') }})
