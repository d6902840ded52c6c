-- One row per ESMS × year with an accounting exercise (FI-01): the kept deliveries of the dossiers the
-- association maps to the ESMS (cfg_fec_dossiers; the siège's dossiers map to no ESMS). An ESMS may have
-- several dossiers: its figures are their sum, usable only if every file is (no blocking check failed).
with files as (
    select * from {{ ref('stg_fec__files') }}
),

dossiers as (
    select dossier, finess from {{ source('config', 'cfg_fec_dossiers') }} where finess <> 'siege'
)

select
    dossiers.finess,
    files.year,
    count(*) as dossier_count,
    string_agg(files.dossier, ', ' order by files.dossier) as dossiers,
    min(files.exercise_start) as exercise_start,
    max(files.exercise_end) as exercise_end,
    bool_and(files.is_usable) as is_usable,
    string_agg(case when not files.is_usable then files.dossier || ' (' || files.file_name || ') : '
                    || files.check_summary end, ' ; ' order by files.dossier) as failed_checks
from files
join dossiers using (dossier)
group by dossiers.finess, files.year
