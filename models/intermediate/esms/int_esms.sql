-- One row per ESMS × year of the ESMS sheet: category, sector, and what its modes imply for the
-- applicability of the indicators (AC-23). ESMS-level quantities are the sums over its modes.
with modes as (
    select * from {{ ref('int_esms_modes') }}
),

sheet as (
    select * from {{ ref('stg_esms__caracterisation') }}
),

categories as (
    select * from {{ ref('esms_categories') }}
),

per_esms as (
    select
        finess,
        year,
        bool_or(is_residential) as has_residential_mode,
        bool_or(mode = 'AJ') as has_day_care,
        bool_or(mode = 'SERV') as has_service_mode,
        bool_or(mode_group is not null) as has_occupation_group,
        bool_or(actes_finances is not null) as has_actes_finances,
        bool_or(coalesce(places_habilitees_aide_sociale, 0) > 0) as has_places_habilitees,
        sum(places_autorisees) as places_autorisees,
        sum(places_habilitees_aide_sociale) as places_habilitees_aide_sociale,
        sum(beneficiaires_aide_sociale) as beneficiaires_aide_sociale,
        sum(journees_financees) as journees_financees,
        sum(actes_finances) as actes_finances,
        sum(etp_budgetes) as etp_budgetes,
        sum(etp_budgetes_soins) as etp_budgetes_soins,
        sum(etp_budgetes_socio_educatif) as etp_budgetes_socio_educatif
    from modes
    group by finess, year
),

identity as (
    select
        finess,
        year,
        min(category_code) as category_code,
        min(esms_name) as esms_name,
        max(gmp_valide) as gmp_valide,
        max(pmp_valide) as pmp_valide,
        sum(budget_recettes) as budget_recettes,
        sum(budget_depenses) as budget_depenses,
        sum(dotation_soins) as dotation_soins
    from sheet
    group by finess, year
)

select
    identity.finess,
    identity.year,
    identity.category_code,
    coalesce(identity.esms_name, categories.acronym || ' ' || identity.finess) as esms_name,
    categories.acronym as category_acronym,
    categories.sector,
    coalesce(categories.is_children, false) as is_children,
    per_esms.has_residential_mode,
    per_esms.has_day_care,
    per_esms.has_service_mode,
    per_esms.has_occupation_group,
    per_esms.has_actes_finances,
    per_esms.has_places_habilitees,
    per_esms.places_autorisees,
    per_esms.places_habilitees_aide_sociale,
    per_esms.beneficiaires_aide_sociale,
    per_esms.journees_financees,
    per_esms.actes_finances,
    per_esms.etp_budgetes,
    per_esms.etp_budgetes_soins,
    per_esms.etp_budgetes_socio_educatif,
    identity.gmp_valide,
    identity.pmp_valide,
    identity.budget_recettes,
    identity.budget_depenses,
    identity.dotation_soins
from identity
join per_esms using (finess, year)
left join categories on categories.category_code = identity.category_code
