-- A3-10 Répartition des dépenses par section tarifaire (EHPAD; FI-01, FI-10): charges of class 6 of the
-- exercise (debit − credit) whose account falls in a section by the association's `[fec.sections]`;
-- one row per section (breakdown `hebergement`, `dependance`, `soins`) = charges of the section /
-- charges of the three sections (the three shares sum to 1).
{{ fi_section_shares('A3-10', account_class='6') }}
