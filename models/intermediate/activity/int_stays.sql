-- Stays (one person, one ESMS, one mode, entry → exit) chained into accompagnements (decisions.md,
-- "Words used"): a stay entering on the exit day of the previous one, or the day after, continues it.
with stays as (
    select * exclude (overlaps_earlier_stay)
    from {{ ref('int_stay_candidates') }}
    where not overlaps_earlier_stay
),

ordered as (
    select
        *,
        lag(coalesce(exit_date, date '9999-12-31')) over chain as previous_exit,
        lead(entry_date) over chain as next_entry
    from stays
    window chain as (partition by person_key, finess order by entry_date, stay_key)
),

chained as (
    select
        *,
        sum(case when previous_exit is null or entry_date > previous_exit + 1 then 1 else 0 end)
            over (partition by person_key, finess order by entry_date, stay_key rows unbounded preceding)
            as accompagnement_no
    from ordered
)

select
    stay_key,
    person_key,
    finess,
    mode,
    entry_date,
    exit_date,
    -- services count the day between a stay and its next-day continuation (AC-12)
    case when next_entry = exit_date + 1 then next_entry else exit_date end as covered_end,
    provenance,
    exit_motive,
    creton,
    md5(person_key || '|' || finess || '|' || accompagnement_no) as accompagnement_key,
    source_family,
    _file_hash,
    _line
from chained
