-- Trial balance (balance des comptes) per ESMS × year × dossier × account (spec hr_finance_standards.md
-- §2.4 step 5): opening = à-nouveaux, movements of the year, closing = Σ(debit − credit) over every
-- line (> 0 débiteur, < 0 créditeur). Débiteur / créditeur splits are made per account, then summed by
-- prefix in the indicators (macros/finance_indicators.sql). Classes 1–7 only (class 8, contributions
-- volontaires, stays out). The FEC has no closing entries: the result of the year is −Σ closing of
-- classes 6 and 7, not yet in account 12. Class-6 accounts carry their groupe fonctionnel (FI-02).
with lines as (
    select * from {{ ref('stg_fec__lines') }}
),

dossiers as (
    select dossier, finess from {{ source('config', 'cfg_fec_dossiers') }} where finess <> 'siege'
),

groups as (
    select * from {{ ref('fec_account_groups') }}
),

balances as (
    select
        dossiers.finess,
        lines.year,
        lines.dossier,
        lines.compte_num,
        sum(case when lines.is_opening then lines.debit - lines.credit else 0 end) as opening,
        sum(case when not lines.is_opening then lines.debit else 0 end) as movement_debit,
        sum(case when not lines.is_opening then lines.credit else 0 end) as movement_credit,
        sum(lines.debit - lines.credit) as closing
    from lines
    join dossiers using (dossier)
    where regexp_matches(lines.compte_num, '^[1-7][0-9]{2}')
    group by all
),

account_groups as (
    select accounts.compte_num, groups.groupe
    from (select distinct compte_num from balances where compte_num like '6%') as accounts
    join groups on starts_with(accounts.compte_num, groups.prefix)
    qualify row_number() over (partition by accounts.compte_num order by length(groups.prefix) desc) = 1
)

select
    balances.finess,
    balances.year,
    balances.dossier,
    balances.compte_num,
    left(balances.compte_num, 1) as account_class,
    account_groups.groupe,
    balances.opening,
    balances.movement_debit,
    balances.movement_credit,
    balances.closing
from balances
left join account_groups using (compte_num)
