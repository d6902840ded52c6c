-- Acts (CAMSP, CMPP, services paid by the act) with their status and the ESMS of their stay.
with acts as (
    {{ union_activity_families('acts') }}
),

stays as (
    select stay_key, person_key, finess, mode from {{ ref('int_stays') }}
)

select
    acts.act_key,
    acts.stay_key,
    stays.person_key,
    stays.finess,
    stays.mode,
    acts.day,
    acts.kind,
    acts.status,
    acts.source_family,
    acts._file_hash,
    acts._line
from acts
left join stays using (stay_key)
