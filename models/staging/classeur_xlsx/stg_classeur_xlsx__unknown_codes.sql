-- Vendor codes the mapping seed does not know (mapped to INCONNU, AC-27): for the association to complete.
{{ unknown_codes('classeur_xlsx__codes', 'classeur_xlsx', 'deficiency', source('classeur_xlsx', 'raw_classeur_xlsx_residents'), 'main_deficiency_code') }}
union all
{{ unknown_codes('classeur_xlsx__codes', 'classeur_xlsx', 'deficiency', source('classeur_xlsx', 'raw_classeur_xlsx_residents'), 'associated_deficiency_codes', ',') }}
union all
{{ unknown_codes('classeur_xlsx__codes', 'classeur_xlsx', 'mode', source('classeur_xlsx', 'raw_classeur_xlsx_mouvements'), 'mode_code') }}
union all
{{ unknown_codes('classeur_xlsx__codes', 'classeur_xlsx', 'mode', source('classeur_xlsx', 'raw_classeur_xlsx_journees'), 'mode_code') }}
union all
{{ unknown_codes('classeur_xlsx__codes', 'classeur_xlsx', 'provenance', source('classeur_xlsx', 'raw_classeur_xlsx_mouvements'), 'provenance_code') }}
union all
{{ unknown_codes('classeur_xlsx__codes', 'classeur_xlsx', 'exit_motive', source('classeur_xlsx', 'raw_classeur_xlsx_mouvements'), 'exit_motive_code') }}
