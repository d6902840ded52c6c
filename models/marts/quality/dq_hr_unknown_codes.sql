-- DSN codes of work stoppages and suspensions that seeds/hr/dsn_absence_motives.csv does not know: those
-- absences count in no motive of the TDB until the seed maps the code (RH-04).
with episodes as (
    select * from {{ ref('int_hr_absence_episodes') }} where motive_code = 'INCONNU'
),

files as (
    select file_hash, file_name from {{ source('meta', 'load_log') }} where status = 'charge'
)

select
    episodes.block,
    episodes.dsn_code,
    count(*) as episodes,
    sum(episodes.episode_days) as days,
    min(files.file_name) as first_file,
    min(episodes._line) as first_line
from episodes
left join files on files.file_hash = episodes._file_hash
group by episodes.block, episodes.dsn_code
