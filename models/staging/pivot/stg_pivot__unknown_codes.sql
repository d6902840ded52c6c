{{ unknown_codes('pivot__codes', 'pivot', 'deficiency', source('pivot', 'raw_pivot_persons'), 'main_deficiency') }}
union all
{{ unknown_codes('pivot__codes', 'pivot', 'deficiency', source('pivot', 'raw_pivot_persons'), 'associated_deficiencies', '|') }}
union all
{{ unknown_codes('pivot__codes', 'pivot', 'provenance', source('pivot', 'raw_pivot_stays'), 'provenance') }}
union all
{{ unknown_codes('pivot__codes', 'pivot', 'exit_motive', source('pivot', 'raw_pivot_stays'), 'exit_motive') }}
union all
{{ unknown_codes('pivot__codes', 'pivot', 'absence_motive', source('pivot', 'raw_pivot_absences'), 'motive') }}
union all
{{ unknown_codes('pivot__codes', 'pivot', 'act_status', source('pivot', 'raw_pivot_acts'), 'status') }}
