-- A3-04 Taux de vétusté des constructions (FI-01, FI-04): amortissements cumulés = credit balances of
-- 2813 + 2814 / valeur brute = debit balances of 213 + 214, per account at the closing date. The setting
-- construction_accounts = "213" keeps buildings on the ESMS's own land only (2813 / 213). An ESMS that
-- owns no building has an empty denominator: not_applicable (AC-26).
{%- set construction = setting('construction_accounts', ['213_214', '213']) %}
{%- set gross = ['213', '214'] if construction == '213_214' else ['213'] %}
{%- set depreciation = ['2813', '2814'] if construction == '213_214' else ['2813'] %}
with frame as (
    {{ fi_frame('A3-04') }}
),

amounts as (
    select
        finess,
        year,
        {{ fi_credit_balances(depreciation) }} as amortissements,
        {{ fi_debit_balances(gross) }} as valeur_brute
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

{{ fi_ratio('A3-04', 'amounts.amortissements', 'amounts.valeur_brute') }}
