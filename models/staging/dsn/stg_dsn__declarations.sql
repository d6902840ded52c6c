-- The monthly declarations kept (RH-12): for one SIRET × declared month × fraction, the latest by its
-- constitution date (S20.G00.05.007), then by load order; the other establishments of the same envoi are
-- untouched. A kept « annule » declaration (type 04) carries nothing: the month is then empty. Only
-- monthly DSN (nature 01) count; the reader refuses the others.
with delivered as (
    {{ latest_delivery(source('dsn', 'raw_dsn_declarations'), ['siret', 'declared_month', 'fraction'],
                       ['constitution_date']) }}
),

establishments as (
    select siret, finess from {{ source('config', 'cfg_dsn_establishments') }}
)

select
    delivered._file_hash,
    delivered._source_file,
    delivered._load_id,
    delivered.declaration_line,
    delivered.establishment_line,
    delivered.siret,
    establishments.finess as declaring_finess,
    delivered.declared_month,
    delivered.fraction,
    delivered.declaration_type,
    delivered.constitution_date,
    delivered.norm_version
from delivered
left join establishments using (siret)
where delivered.nature = '01'
  and delivered.siret is not null
  and delivered.declared_month is not null
