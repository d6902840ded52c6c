-- A1-04 GMP, dernier connu (AC-08): Σ GIR weights (1000, 840, 660, 420, 250, 70) of the latest GIR
-- evaluation dated on or before the last day of the period / persons counted, over the personnes au 31/12
-- in hébergement (setting gir_scope) with such an evaluation. Breakdown `valide`: gmp_valide of the ESMS
-- sheet, as it is (missing_input when the sheet lacks it). EHPAD (catalogue, AC-23).
{{ a1_dependency_score('A1-04', points='gir_weight', available='frame.carries_dated_gir', valide_column='gmp_valide') }}
