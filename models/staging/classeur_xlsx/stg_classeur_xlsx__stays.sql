-- Stays rebuilt from the workbooks in force. Entries: `E` movements and the entry dates billed in
-- Journees (a stay begun before the first workbook keeps its entry date); exits: `S` movements. Per
-- person × ESMS × mode, each entry is closed by the next event (an `S`, or another entry). On one day,
-- the exit of a stay already open comes before an entry (a renewal), otherwise the entry comes first (a
-- stay entered and left the same day). A mode change is an `S` and an `E` of two modes the same day.
with deliveries as (
    select file_hash as _file_hash, workbook_month from {{ ref('stg_classeur_xlsx__deliveries') }}
),

movements as (
    select * from {{ source('classeur_xlsx', 'raw_classeur_xlsx_mouvements') }}
    join deliveries using (_file_hash, workbook_month)
),

journees as (
    select * from {{ source('classeur_xlsx', 'raw_classeur_xlsx_journees') }}
    join deliveries using (_file_hash, workbook_month)
),

events as (
    select
        person_key, finess, mode_code, movement_date as day, movement_type = 'E' as opens,
        provenance_code, exit_motive_code, 0 as priority, workbook_month, _file_hash, _line
    from movements
    union all
    select
        person_key, finess, mode_code, entry_date, true, null, null, 1, workbook_month, _file_hash, _line
    from journees
),

distinct_events as (  -- one event per person × ESMS × mode × day × direction, a movement first
    select *
    from events
    qualify row_number() over (
        partition by person_key, finess, mode_code, day, opens order by priority, workbook_month desc, _line
    ) = 1
),

ordered as (
    select
        *,
        coalesce(sum(case when opens then 1 else -1 end) over (
            partition by person_key, finess, mode_code order by day
            range between unbounded preceding and interval 1 day preceding
        ), 0) > 0 as open_before
    from distinct_events
),

paired as (
    select
        *,
        lead(day) over stream as next_day,
        lead(opens) over stream as next_opens,
        lead(exit_motive_code) over stream as next_exit_motive_code
    from ordered
    window stream as (
        partition by person_key, finess, mode_code
        order by day, case when open_before then opens else not opens end, _line
    )
)

select
    md5(concat_ws('|', person_key, finess, mode_code, day)) as stay_key,
    person_key,
    finess,
    {{ decode('classeur_xlsx__codes', 'mode', 'mode_code') }} as mode,
    day as entry_date,
    next_day as exit_date,
    {{ decode('classeur_xlsx__codes', 'provenance', 'provenance_code') }} as provenance,
    case when not next_opens then {{ decode('classeur_xlsx__codes', 'exit_motive', 'next_exit_motive_code') }} end
        as exit_motive,
    cast(null as boolean) as creton,
    _file_hash,
    _line
from paired
where opens
