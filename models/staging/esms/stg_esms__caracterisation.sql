-- The ESMS sheet, latest delivery of each ESMS × year (a re-delivered sheet replaces the earlier one).
with delivered as (
    {{ latest_delivery(source('esms_sheet', 'raw_esms_caracterisation'), ['finess', 'year']) }}
)

select
    finess,
    year,
    category_code,
    mode,
    esms_name,
    places_autorisees,
    places_installees,
    places_financees,
    jours_ouverture,
    journees_financees,
    actes_finances,
    age_min,
    age_max,
    places_habilitees_aide_sociale,
    beneficiaires_aide_sociale,
    gmp_valide,
    pmp_valide,
    etp_budgetes,
    etp_budgetes_soins,
    etp_budgetes_socio_educatif,
    budget_recettes,
    budget_depenses,
    dotation_soins,
    _file_hash,
    _line
from delivered
