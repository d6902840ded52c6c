-- Every stay delivered by the activity family, with what makes it unusable: a stay that starts before
-- the end of an earlier stay of the same person in the same ESMS overlaps it (a person cannot be
-- accompanied twice at once by one ESMS). Overlapping stays are set aside and listed in
-- dq_rejected_lines with their file and line; the earlier stay is kept.
with stays as (
    {{ union_activity_families('stays') }}
)

select
    *,
    coalesce(entry_date < max(coalesce(exit_date, date '9999-12-31')) over (
        partition by person_key, finess order by entry_date, stay_key
        rows between unbounded preceding and 1 preceding
    ), false) as overlaps_earlier_stay
from stays
