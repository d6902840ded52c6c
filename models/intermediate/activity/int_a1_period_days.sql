-- Day counts of each ESMS × period (flows: sums of int_stay_months over the months of the period):
-- - journees_realisees: every mode, as AC-12 defines them (A1-13);
-- - residential modes (HP, HT, INT) only: days covered by the stays (present + absent, AC-01), days absent
--   for hospitalisation complète or HAD (AC-15, AC-24), days absent for any motive (AC-02) and the
--   distinct persons with at least one day absent in the period (AC-16).
-- Read from the stay × month fact only, so that a family delivering billed monthly counts (no dated
-- absence) gives the same counts as one delivering absence periods.
with stay_months as (
    select * from {{ ref('int_stay_months') }}
),

period_months as (
    select period_type, year, month, month_start from {{ ref('int_period_months') }}
)

select
    stay_months.finess,
    period_months.period_type,
    period_months.year,
    period_months.month,
    sum(stay_months.journees_realisees) as journees_realisees,
    coalesce(sum(stay_months.covered_days) filter (where stay_months.is_residential), 0)
        as residential_covered_days,
    coalesce(sum(stay_months.absent_hospital_days) filter (where stay_months.is_residential), 0)
        as residential_hospital_days,
    coalesce(sum(stay_months.absent_hospital_days + stay_months.absent_other_days)
        filter (where stay_months.is_residential), 0) as residential_absence_days,
    count(distinct stay_months.person_key) filter (
        where stay_months.is_residential and stay_months.absent_hospital_days + stay_months.absent_other_days > 0
    ) as residential_absent_persons
from stay_months
join period_months on period_months.month_start = stay_months.month_start
group by all
