-- Declaring SIRET of kept DSN declarations that the association configuration ([dsn.establishments])
-- does not map to a FINESS: their contracts count for no ESMS unless they carry a FINESS géographique
-- of the sheet or a mapped workplace SIRET.
select
    siret,
    count(*) as declarations,
    min(declared_month) as first_month,
    max(declared_month) as last_month,
    min(_source_file) as first_file
from {{ ref('stg_dsn__declarations') }}
where declaring_finess is null
group by siret
