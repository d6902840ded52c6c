-- The lines of the kept deliveries (stg_fec__files), with their dossier and exercise. is_opening flags
-- the à-nouveaux (spec hr_finance_standards.md §2.4 step 4): a journal AN, ANO, RAN or A-N, or an entry
-- label « A nouveau(x) ». Class-8 accounts (contributions volontaires) stay here; the balances leave them out.
with files as (
    select _file_hash, dossier, closing_date, year from {{ ref('stg_fec__files') }}
),

lines as (
    select * from {{ source('fec', 'raw_fec_lines') }}
)

select
    files.dossier,
    files.year,
    files.closing_date,
    lines.journal_code,
    lines.ecriture_num,
    lines.ecriture_date,
    lines.compte_num,
    lines.compte_lib,
    lines.comp_aux_key,
    lines.ecriture_lib,
    lines.debit,
    lines.credit,
    lines.journal_code in ('AN', 'ANO', 'RAN', 'A-N')
        or regexp_matches(strip_accents(lower(coalesce(lines.ecriture_lib, ''))), '^\s*a[ -]?nouveaux?\b')
        as is_opening,
    lines._file_hash,
    lines._line
from lines
join files using (_file_hash)
