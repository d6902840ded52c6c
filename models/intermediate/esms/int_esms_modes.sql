-- One row per ESMS × year × accueil mode of the ESMS sheet, with the mode's attributes.
with sheet as (
    select * from {{ ref('stg_esms__caracterisation') }}
),

modes as (
    select * from {{ ref('modes') }}
)

select
    sheet.finess,
    sheet.year,
    sheet.mode,
    modes.mode_group,
    modes.is_residential,
    modes.is_day_mode,
    modes.is_service,
    sheet.places_autorisees,
    sheet.places_installees,
    sheet.places_financees,
    sheet.jours_ouverture,
    sheet.journees_financees,
    sheet.actes_finances,
    sheet.age_min,
    sheet.age_max,
    sheet.places_habilitees_aide_sociale,
    sheet.beneficiaires_aide_sociale,
    sheet.etp_budgetes,
    sheet.etp_budgetes_soins,
    sheet.etp_budgetes_socio_educatif
from sheet
left join modes using (mode)
