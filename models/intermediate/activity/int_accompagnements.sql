-- Accompagnements: chains of a person's stays in one ESMS. Admissions and sorties définitives are
-- counted on them (AC-04): provenance of the first stay, exit motive and mode of the last (AC-25).
with stays as (
    select * from {{ ref('int_stays') }}
)

select
    accompagnement_key,
    person_key,
    finess,
    min(entry_date) as start_date,
    case when bool_or(exit_date is null) then null else max(exit_date) end as end_date,
    arg_min(mode, entry_date) as first_mode,
    arg_max(mode, entry_date) as last_mode,
    arg_min(provenance, entry_date) as provenance,
    arg_max(exit_motive, entry_date) as exit_motive,
    count(*) as stays
from stays
group by accompagnement_key, person_key, finess
