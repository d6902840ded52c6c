-- Vendor labels the mapping seed does not know (mapped to INCONNU, AC-27): for the association to complete.
{{ unknown_codes('export_csv__codes', 'export_csv', 'deficiency', source('export_csv', 'raw_export_csv_usagers'), 'main_deficiency_label') }}
union all
{{ unknown_codes('export_csv__codes', 'export_csv', 'deficiency', source('export_csv', 'raw_export_csv_usagers'), 'associated_deficiency_labels', '|') }}
union all
{{ unknown_codes('export_csv__codes', 'export_csv', 'mode', source('export_csv', 'raw_export_csv_sejours'), 'mode_label') }}
union all
{{ unknown_codes('export_csv__codes', 'export_csv', 'provenance', source('export_csv', 'raw_export_csv_sejours'), 'provenance_label') }}
union all
{{ unknown_codes('export_csv__codes', 'export_csv', 'exit_motive', source('export_csv', 'raw_export_csv_sejours'), 'exit_motive_label') }}
union all
{{ unknown_codes('export_csv__codes', 'export_csv', 'absence_motive', source('export_csv', 'raw_export_csv_absences'), 'motive_label') }}
union all
{{ unknown_codes('export_csv__codes', 'export_csv', 'act_status', source('export_csv', 'raw_export_csv_actes'), 'status_label') }}
