-- A3-03 Taux de CAF (FI-01, FI-07), the CNSA / ERRD annexe 8 additive formula:
-- CAF = résultat + 68 − 78 − 775 + 675 − 777 − 778 (products counted credit − debit, charges debit − credit);
-- denominator = products of class 7 (credit − debit) without 775, 777, 7781, 78 and 713, 709 staying
-- netted in (it is debit-natured), as the spec recommends (hr_finance_standards.md §4.1).
with frame as (
    {{ fi_frame('A3-03') }}
),

amounts as (
    select
        finess,
        year,
        {{ fi_result() }}
            + {{ fi_net(['68']) }} + {{ fi_net(['78']) }} + {{ fi_net(['775']) }} + {{ fi_net(['675']) }}
            + {{ fi_net(['777']) }} + {{ fi_net(['778']) }} as caf,
        -{{ fi_net(['7'], exclude=['775', '777', '7781', '78', '713']) }} as produits_retraites
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

{{ fi_ratio('A3-03', 'amounts.caf', 'amounts.produits_retraites') }}
