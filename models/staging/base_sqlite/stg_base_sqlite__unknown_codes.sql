-- Vendor codes the mapping seed does not know (mapped to INCONNU, AC-27): for the association to complete.
-- Déficiences are listed by label, plus the codes used by patients that the vendor's list lacks.
{{ unknown_codes('base_sqlite__codes', 'base_sqlite', 'deficiency', source('base_sqlite', 'raw_base_sqlite_disability'), 'label') }}
union all
select
    'base_sqlite' as family,
    'deficiency' as domain,
    code as vendor_code,
    count(*) as rows,
    min(_source_file) as first_file,
    min(_line) as first_line
from (
    select main_disability_code as code, _file_hash, _source_file, _line
    from {{ source('base_sqlite', 'raw_base_sqlite_patient') }}
    union all
    select disability_code, _file_hash, _source_file, _line
    from {{ source('base_sqlite', 'raw_base_sqlite_patient_disability') }}
) as used
where code is not null
  and not exists (
      select 1 from {{ source('base_sqlite', 'raw_base_sqlite_disability') }} as listed
      where listed.code = used.code and listed._file_hash = used._file_hash
  )
group by code
union all
{{ unknown_codes('base_sqlite__codes', 'base_sqlite', 'mode', source('base_sqlite', 'raw_base_sqlite_movement'), 'care_mode') }}
union all
{{ unknown_codes('base_sqlite__codes', 'base_sqlite', 'provenance', source('base_sqlite', 'raw_base_sqlite_movement'), 'origin') }}
union all
{{ unknown_codes('base_sqlite__codes', 'base_sqlite', 'exit_motive', source('base_sqlite', 'raw_base_sqlite_movement'), 'reason') }}
union all
{{ unknown_codes('base_sqlite__codes', 'base_sqlite', 'act_status', source('base_sqlite', 'raw_base_sqlite_appointment'), 'status') }}
