-- The delivery kept for each accounting dossier × exercise: the latest load (FI-01, a re-delivery
-- replaces the earlier file). The exercise counts for the calendar year of its closing date.
with delivered as (
    {{ latest_delivery(source('fec', 'raw_fec_files'), ['dossier', 'closing_date']) }}
)

select
    _file_hash,
    _load_id,
    dossier,
    file_name,
    siren,
    closing_date,
    exercise_start,
    exercise_end,
    year(closing_date) as year,
    status = 'utilisable' as is_usable,
    status,
    check_summary,
    line_count,
    ecriture_count,
    rejected_lines,
    total_debit,
    total_credit
from delivered
