-- Individuals of the kept declarations, one row per individual block of a monthly file.
with individuals as (
    {{ dsn_kept_rows('raw_dsn_individuals') }}
)

select
    _file_hash,
    _line as individual_line,
    _load_id,
    siret,
    declared_month,
    individual_key,
    identifier_kind,
    case sex when '01' then 'M' when '02' then 'F' end as sex,
    birth_date
from individuals
where individual_key is not null
