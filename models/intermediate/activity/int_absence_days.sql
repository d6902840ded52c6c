-- One row per stay × day of absence: clipped to the stay [entry, exit) (AC-02), a day in two absences
-- counted once, hospitalisation first (AC-24). Absences outside their stay are not days (a quality check).
with absences as (
    {{ union_activity_families('absences') }}
),

stays as (
    select stay_key, person_key, finess, mode, entry_date, exit_date from {{ ref('int_stays') }}
),

motives as (
    select code, is_hospitalisation from {{ ref('absence_motives') }}
),

days as (
    select
        absences.stay_key,
        stays.person_key,
        stays.finess,
        stays.mode,
        cast(unnest(generate_series(
            greatest(absences.first_day, stays.entry_date),
            least(absences.last_day, coalesce(stays.exit_date - 1, absences.last_day)),
            interval 1 day
        )) as date) as day,
        absences.motive,
        coalesce(motives.is_hospitalisation, false) as is_hospitalisation,
        absences.last_day - absences.first_day + 1 as absence_length_days,
        absences._file_hash,
        absences._line
    from absences
    join stays using (stay_key)
    left join motives on motives.code = absences.motive
    where absences.first_day <= coalesce(stays.exit_date - 1, absences.last_day)
      and absences.last_day >= stays.entry_date
)

select *
from days
qualify row_number() over (
    partition by stay_key, day order by is_hospitalisation desc, motive, _line
) = 1
