-- A1-15 Taux d'occupation des lits ou places autorisés, per mode group (AC-13): journées réalisées of
-- the group's modes / Σ (places × jours d'ouverture) of those modes in the ESMS sheet. A yearly number of
-- opening days is spread over shorter periods by calendar days (AC-19). Services belong to no group.
with frame as (
    {{ esms_periods() }}
),

mode_groups as (
    select distinct mode_group from {{ ref('modes') }} where mode_group is not null
),

capacity as (
    select
        finess,
        year,
        mode_group,
        sum(places_{{ var('occupation_capacity') }} * jours_ouverture) as capacity_days,
        bool_and(places_{{ var('occupation_capacity') }} is not null and jours_ouverture is not null) as inputs_present
    from {{ ref('int_esms_modes') }}
    where mode_group is not null
    group by all
),

realised as (
    select
        period_months.period_type,
        period_months.year,
        period_months.month,
        stay_months.finess,
        modes.mode_group,
        sum(stay_months.journees_realisees) as journees_realisees
    from {{ ref('int_stay_months') }} as stay_months
    join {{ ref('modes') }} as modes using (mode)
    join {{ ref('int_period_months') }} as period_months using (month_start)
    where modes.mode_group is not null
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        mode_groups.mode_group,
        coalesce(realised.journees_realisees, 0) as numerator,
        capacity.capacity_days * frame.period_days / (make_date(frame.year, 12, 31) - make_date(frame.year, 1, 1) + 1)
            as denominator,
        {{ indicator_status(
            applicable='capacity.finess is not null',
            inputs_present='capacity.inputs_present',
            denominator='capacity.capacity_days') }} as status
    from frame
    cross join mode_groups
    left join capacity
        on capacity.finess = frame.finess and capacity.year = frame.year
       and capacity.mode_group = mode_groups.mode_group
    left join realised
        on realised.finess = frame.finess and realised.period_type = frame.period_type
       and realised.year = frame.year and realised.month is not distinct from frame.month
       and realised.mode_group = mode_groups.mode_group
)

{{ indicator_select('A1-15', breakdown='mode_group') }}
