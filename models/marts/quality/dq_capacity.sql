-- Journées réalisées of each ESMS × year (every mode, AC-12) against its capacity in the ESMS sheet:
-- Σ over its modes of places autorisées × jours d'ouverture (the days of the year when the sheet gives
-- none). More journées than the capacity allows is implausible (spec §5.2); the GX suite holds the bound.
with capacity as (
    select
        finess,
        year,
        sum(places_autorisees * coalesce(
            jours_ouverture, make_date(year, 12, 31) - make_date(year, 1, 1) + 1)) as capacity_days
    from {{ ref('int_esms_modes') }}
    group by finess, year
),

realised as (
    select finess, year, sum(journees_realisees) as journees_realisees
    from {{ ref('int_stay_months') }}
    group by finess, year
)

select
    capacity.finess,
    capacity.year,
    coalesce(realised.journees_realisees, 0) as journees_realisees,
    capacity.capacity_days,
    coalesce(realised.journees_realisees, 0) / nullif(capacity.capacity_days, 0) as capacity_ratio
from capacity
left join realised using (finess, year)
