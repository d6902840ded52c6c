with assessments as (
    {{ latest_delivery(source('pivot', 'raw_pivot_assessments'), ['person_key', 'assessed_on']) }}
)

select person_key, assessed_on, gir, pathos_points, _file_hash, _line
from assessments
