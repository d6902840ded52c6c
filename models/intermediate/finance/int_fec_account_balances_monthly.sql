-- Cumulative trial balance per ESMS × exercise × month × dossier × account (FI-17): at the end of each month
-- of the exercise, the à-nouveaux plus every entry dated up to that month's last day. Every account of the
-- exercise has a row in every month (a month without entries repeats the balance before it), so that the
-- last month equals int_fec_account_balances. An entry dated outside its exercise (a failed check of the
-- reader) counts in the nearest month of it. Same accounts (classes 1–7) and groupes fonctionnels as the
-- annual balance.
with lines as (
    select * from {{ ref('stg_fec__lines') }}
),

files as (
    select dossier, year, exercise_start, exercise_end from {{ ref('stg_fec__files') }}
),

dossiers as (
    select dossier, finess from {{ source('config', 'cfg_fec_dossiers') }} where finess <> 'siege'
),

months as (
    select
        dossier,
        year,
        unnest(generate_series(
            date_trunc('month', exercise_start), date_trunc('month', exercise_end), interval 1 month
        ))::date as month_start
    from files
),

movements as (
    select
        lines.dossier,
        lines.year,
        lines.compte_num,
        greatest(least(
            date_trunc('month', case when lines.is_opening then files.exercise_start else lines.ecriture_date end),
            date_trunc('month', files.exercise_end)
        ), date_trunc('month', files.exercise_start))::date as month_start,
        sum(case when lines.is_opening then lines.debit - lines.credit else 0 end) as opening,
        sum(case when not lines.is_opening then lines.debit else 0 end) as movement_debit,
        sum(case when not lines.is_opening then lines.credit else 0 end) as movement_credit
    from lines
    join files using (dossier, year)
    where regexp_matches(lines.compte_num, '^[1-7][0-9]{2}')
    group by all
),

accounts as (
    select distinct dossier, year, compte_num from movements
),

dense as (
    select
        accounts.dossier,
        accounts.year,
        accounts.compte_num,
        months.month_start,
        coalesce(movements.opening, 0) as opening,
        coalesce(movements.movement_debit, 0) as movement_debit,
        coalesce(movements.movement_credit, 0) as movement_credit
    from accounts
    join months using (dossier, year)
    left join movements using (dossier, year, compte_num, month_start)
),

cumulated as (
    select
        dossier,
        year,
        compte_num,
        month_start,
        sum(opening) over account_to_date as opening,
        sum(movement_debit) over account_to_date as movement_debit,
        sum(movement_credit) over account_to_date as movement_credit
    from dense
    window account_to_date as (partition by dossier, year, compte_num order by month_start)
),

account_groups as (
    select distinct compte_num, groupe from {{ ref('int_fec_account_balances') }} where groupe is not null
)

select
    dossiers.finess,
    cumulated.year,
    cumulated.month_start,
    (last_day(cumulated.month_start)) as month_end,
    cumulated.dossier,
    cumulated.compte_num,
    left(cumulated.compte_num, 1) as account_class,
    account_groups.groupe,
    cumulated.opening,
    cumulated.movement_debit,
    cumulated.movement_credit,
    cumulated.opening + cumulated.movement_debit - cumulated.movement_credit as closing
from cumulated
join dossiers using (dossier)
left join account_groups using (compte_num)
