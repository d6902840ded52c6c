-- A3-07 Fonds de roulement en jours de charges courantes (FI-01, FI-06). FRNG (CNSA, ERRD annexe 8) =
-- credit balances of classes 1 and 2 and of 39, 49, 59 + the result of the year (not yet in 12) − debit
-- balances of classes 1 and 2; charges courantes = class 6 − 68 − 675 (setting working_capital_charges =
-- "excl_68": class 6 − 68). numerator = FRNG, denominator = charges courantes / 365, value = days.
{%- set charges = setting('working_capital_charges', ['excl_68_675', 'excl_68']) %}
with frame as (
    {{ fi_frame('A3-07') }}
),

amounts as (
    select
        finess,
        year,
        {{ fi_credit_balances(['1', '2', '39', '49', '59']) }} + {{ fi_result() }}
            - {{ fi_debit_balances(['1', '2']) }} as frng,
        ({{ fi_net(['6'], exclude=['68', '675'] if charges == 'excl_68_675' else ['68']) }}) / 365 as charges_per_day
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

{{ fi_ratio('A3-07', 'amounts.frng', 'amounts.charges_per_day') }}
