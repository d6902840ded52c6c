-- Do the sources agree with the ESMS sheet? One row per source in use × FINESS seen in the sheet or
-- in that source: the ESMS of the stays (activite), of the DSN establishments (SIRET → FINESS of the
-- configuration) and of the accounting dossiers (dossier → FINESS, the siège left out). DSN and FEC
-- are in use when the configuration maps at least one establishment / dossier.
-- in_esms_sheet false: a source feeds an ESMS the sheet does not describe (its figures reach no indicator);
-- in_source false: an ESMS of the sheet the source never mentions (its indicators would read zero or be missing).
with sheet as (
    select distinct finess from {{ ref('int_esms') }}
),

dsn_esms as (
    select distinct finess from {{ source('config', 'cfg_dsn_establishments') }}
),

fec_esms as (
    select distinct finess from {{ source('config', 'cfg_fec_dossiers') }} where finess <> 'siege'
),

seen as (
    select distinct 'activite' as source, finess from {{ ref('int_stays') }}
    union all
    select 'dsn', finess from dsn_esms
    union all
    select 'fec', finess from fec_esms
),

sources as (
    select 'activite' as source
    union all
    select 'dsn' where exists (select 1 from {{ source('config', 'cfg_dsn_establishments') }})
    union all
    select 'fec' where exists (select 1 from {{ source('config', 'cfg_fec_dossiers') }})
),

pairs as (
    select sources.source, sheet.finess from sources cross join sheet
    union
    select seen.source, seen.finess from seen join sources using (source)
)

select
    pairs.source,
    pairs.finess,
    sheet.finess is not null as in_esms_sheet,
    seen.finess is not null as in_source
from pairs
left join sheet using (finess)
left join seen using (source, finess)
