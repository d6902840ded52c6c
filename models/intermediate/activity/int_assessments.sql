-- Dated dependency evaluations (GIR, PATHOS points) of the persons (AC-08).
with assessments as (
    {{ union_activity_families('assessments') }}
)

select person_key, assessed_on, gir, pathos_points, source_family, _file_hash, _line
from assessments
