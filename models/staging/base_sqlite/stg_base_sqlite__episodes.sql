-- Episodes rebuilt from the movement stream of the file in force, one row per opening event: a stay
-- (ADM → DIS), a hospitalisation (HOSP_OUT → HOSP_IN) or another absence (LEAVE_OUT → LEAVE_IN). Each
-- opening is closed by the next event of its stream for the same patient and facility (another opening
-- closes it too); none: still open. On one day, the closing of an episode already open comes before an
-- opening (a mode change is DIS + ADM the same day), otherwise the opening comes first (a stay admitted
-- and discharged the same day).
with in_force as (
    select file_hash from {{ ref('stg_base_sqlite__deliveries') }}
),

facilities as (
    select facility_id, finess from {{ source('base_sqlite', 'raw_base_sqlite_facility') }}
    where _file_hash in (select file_hash from in_force)
),

movements as (
    select
        movements.*,
        facilities.finess,
        case
            when movement_type in ('ADM', 'DIS') then 'stay'
            when movement_type in ('HOSP_OUT', 'HOSP_IN') then 'hospital'
            else 'leave'
        end as stream,
        movement_type in ('ADM', 'HOSP_OUT', 'LEAVE_OUT') as opens
    from {{ source('base_sqlite', 'raw_base_sqlite_movement') }} as movements
    left join facilities using (facility_id)
    where movements._file_hash in (select file_hash from in_force)
),

ordered as (
    select
        *,
        coalesce(sum(case when opens then 1 else -1 end) over (
            partition by person_key, facility_id, stream order by movement_date
            range between unbounded preceding and interval 1 day preceding
        ), 0) > 0 as open_before
    from movements
),

paired as (
    select
        *,
        lead(movement_date) over stream as next_date,
        lead(opens) over stream as next_opens,
        lead(reason) over stream as next_reason
    from ordered
    window stream as (
        partition by person_key, facility_id, stream
        order by movement_date, case when open_before then opens else not opens end, movement_id
    )
)

select
    movement_id,
    stream,
    movement_type,
    person_key,
    facility_id,
    finess,
    movement_date as start_date,
    next_date as end_date,
    care_mode,
    origin,
    case when not next_opens then next_reason end as reason,
    _file_hash,
    _line
from paired
where opens
