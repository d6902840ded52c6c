-- A2-02 Taux de prestations externes sur les prestations directes (RH-13, FI-01, FI-02), from the
-- accounts of the ESMS's dossiers: numerator = 6111 + 6112 + (621 − 62111); denominator = dépenses de
-- personnel (groupe II, seeds/finance/fec_account_groups.csv) + 6111 + 6112 (charges debit − credit).
-- 6223 and 6226 count only through an association mapping of 622x (RH-13), which does not exist yet:
-- they are left out.
with frame as (
    {{ fi_frame('A2-02') }}
),

amounts as (
    select
        finess,
        year,
        {{ fi_net(['6111', '6112', '621'], exclude=['62111']) }} as prestations_externes,
        coalesce(sum(case when groupe = 'II' then closing end), 0) + {{ fi_net(['6111', '6112']) }}
            as prestations_directes
    from {{ ref('int_fec_account_balances') }}
    group by finess, year
),

{{ fi_ratio('A2-02', 'amounts.prestations_externes', 'amounts.prestations_directes') }}
