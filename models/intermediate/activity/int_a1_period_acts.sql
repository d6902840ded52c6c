-- Acts and séances dated in each period, per ESMS (through their stay) and status (A1-13 for an ESMS
-- paid by the act, A1-14, A1-17): réalisés, annulés, non honorés (ABSENT). An act whose status no mapping
-- knows (INCONNU) is counted apart and in none of the three (it can be neither done nor not done).
with acts as (
    select finess, day, status from {{ ref('int_acts') }} where finess is not null
),

periods as (
    select period_type, year, month, period_start, period_end from {{ ref('int_periods') }}
)

select
    acts.finess,
    periods.period_type,
    periods.year,
    periods.month,
    count(*) filter (where acts.status = 'REALISE') as acts_done,
    count(*) filter (where acts.status = 'ANNULE') as acts_cancelled,
    count(*) filter (where acts.status = 'ABSENT') as acts_no_show,
    count(*) filter (where acts.status not in ('REALISE', 'ANNULE', 'ABSENT') or acts.status is null)
        as acts_unknown_status
from acts
join periods on acts.day between periods.period_start and periods.period_end
group by all
