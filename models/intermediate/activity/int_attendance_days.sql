-- Days attended in a day mode (accueil de jour, semi-internat, externat), one row per stay × day.
-- A view: no model reads it (only `tdbms export-pivot`), so a build need not write its rows.
{{ config(materialized='view') }}
with attendance as (
    {{ union_activity_families('attendance_days') }}
)

select stay_key, day, min(source_family) as source_family, min(_file_hash) as _file_hash, min(_line) as _line
from attendance
group by stay_key, day
