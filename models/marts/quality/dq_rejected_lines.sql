-- Every source line that does not feed the indicators, with its file, line and reason in French:
-- lines rejected by the readers (rejects) and lines set aside by the common model's coherence rules.
with reader_rejects as (
    select
        rejects.source_kind,
        rejects.file_name,
        rejects.file_hash,
        rejects.line,
        rejects.reason,
        'lecture' as stage
    from {{ source('meta', 'rejects') }} as rejects
),

overlapping_stays as (
    select
        candidates.source_family as source_kind,
        coalesce(log.file_name, '?') as file_name,
        candidates._file_hash as file_hash,
        candidates._line as line,
        'séjour qui chevauche un séjour antérieur de la même personne dans le même ESMS (FINESS '
            || candidates.finess || ', entrée le ' || strftime(candidates.entry_date, '%d/%m/%Y') || ')' as reason,
        'modèle commun' as stage
    from {{ ref('int_stay_candidates') }} as candidates
    left join {{ source('meta', 'load_log') }} as log
        on log.file_hash = candidates._file_hash and log.status = 'charge'
    where candidates.overlaps_earlier_stay
)

select * from reader_rejects
union all
select * from overlapping_stays
