-- A3-06 Taux d'endettement (FI-01, FI-05), the ATIH ratio de dépendance financière of the spec's SQL:
-- encours de la dette = credit balances of 163 + 164 + 165 + 167 / capitaux permanents = credit balances
-- of 10, 11, 12, 13, 14, 15 and 163 to 168, plus the result of the year when positive (not yet in 12:
-- the FEC has no closing entries). 139 is not deducted; the setting debt_deduct_139 = true deducts its
-- debit balance from the capitaux permanents.
with frame as (
    {{ fi_frame('A3-06') }}
),

amounts as (
    select
        finess,
        year,
        {{ fi_credit_balances(['163', '164', '165', '167']) }} as dette,
        {{ fi_credit_balances(['10', '11', '12', '13', '14', '15', '163', '164', '165', '166', '167', '168']) }}
            + greatest({{ fi_result() }}, 0)
            {%- if var('debt_deduct_139') %} - {{ fi_debit_balances(['139']) }}{% endif %} as capitaux_permanents
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

{{ fi_ratio('A3-06', 'amounts.dette', 'amounts.capitaux_permanents') }}
