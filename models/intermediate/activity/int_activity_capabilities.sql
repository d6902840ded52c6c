-- What the association's activity family can carry (AC-21): an indicator whose input the family does
-- not carry is not_available, never 0. One row.
with association as (
    select activity_family from {{ source('config', 'cfg_association') }}
),

capabilities as (
    select * from {{ ref('activity_family_capabilities') }}
)

select
    association.activity_family,
    coalesce(capabilities.carries_acts, false) as carries_acts,
    coalesce(capabilities.carries_creton, false) as carries_creton,
    coalesce(capabilities.carries_pathos, false) as carries_pathos,
    coalesce(capabilities.carries_dated_gir, false) as carries_dated_gir
from association
left join capabilities on capabilities.family = association.activity_family
