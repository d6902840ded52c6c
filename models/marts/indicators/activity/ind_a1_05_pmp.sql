-- A1-05 PMP, dernier connu (AC-08): Σ PATHOS points of the latest evaluation with points dated on or
-- before the last day of the period / persons counted, over the personnes au 31/12 in hébergement
-- (setting gir_scope) with such an evaluation. not_available where the activity family carries no
-- PATHOS points (AC-21). Breakdown `valide`: pmp_valide of the ESMS sheet, as it is. EHPAD (AC-23).
{{ a1_dependency_score('A1-05', points='pathos_points', available='frame.carries_pathos', valide_column='pmp_valide') }}
