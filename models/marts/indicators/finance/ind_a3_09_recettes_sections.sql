-- A3-09 Répartition des recettes par section tarifaire (EHPAD; FI-01, FI-10): products of class 7 of the
-- exercise (credit − debit) whose account falls in a section by the association's `[fec.sections]`;
-- one row per section (breakdown `hebergement`, `dependance`, `soins`) = products of the section /
-- products of the three sections (the three shares sum to 1).
{{ fi_section_shares('A3-09', account_class='7') }}
