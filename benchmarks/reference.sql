-- Reference computation of the TDB MS indicators: one plain DuckDB script, written from the
-- specifications (shared/spec/tdb_ms_indicators.md, hr_finance_standards.md, decisions.md and
-- docs/decisions.md) and NOT from the dbt models. It reads only what the readers loaded (raw_* tables,
-- cfg_* tables, load_log) and the shared nomenclatures (code lists), and writes
-- `reference_indicator_values` with the columns of fct_indicator_values. It is the oracle of
-- tests/test_reference_oracle.py and the baseline of the benchmark (benchmarks/reference.py).
--
-- Settings are the defaults of dbt_project.yml (the demo associations override none).
-- Rates are fractions (AC-33). Status order: not_applicable > not_available > missing_input >
-- not_applicable on an empty denominator (AC-28); failed_checks is the quality step's, not computed here.

-- ---------------------------------------------------------------------------------------------------
-- Common: ESMS × year of the sheet, and the periods (year, month, year-to-date)
-- ---------------------------------------------------------------------------------------------------
create or replace temp table ref_esms as
select finess, year, any_value(category_code) as category_code,
       sum(budget_recettes) as budget_recettes, sum(budget_depenses) as budget_depenses,
       sum(dotation_soins) as dotation_soins, sum(etp_budgetes) as etp_budgetes,
       sum(etp_budgetes_soins) as etp_budgetes_soins,
       sum(etp_budgetes_socio_educatif) as etp_budgetes_socio_educatif,
       sum(places_installees) as places_installees
from raw_esms_caracterisation
group by finess, year;

create or replace temp table ref_periods as
select y.year, 'year' as period_type, 0 as month,   -- 0 = the whole year (null in the result)
       make_date(y.year, 1, 1) as period_start, make_date(y.year, 12, 31) as period_end
from (select distinct year from ref_esms) y
union all
select y.year, kind, m, case kind when 'month' then make_date(y.year, m, 1) else make_date(y.year, 1, 1) end,
       last_day(make_date(y.year, m, 1))
from (select distinct year from ref_esms) y, range(1, 13) r(m), (values ('month'), ('ytd')) k(kind);

-- ---------------------------------------------------------------------------------------------------
-- Finance (FEC → A2-02, A3-01..A3-11). FI-01: the latest load of each dossier × exercise; FI-13: the
-- exercise is the calendar year of the closing date; FI-12: annual only.
-- ---------------------------------------------------------------------------------------------------
create or replace temp table ref_fec_file as
select f._file_hash, d.finess, year(f.closing_date) as year
from raw_fec_files f
join load_log l on l.file_hash = f._file_hash
join cfg_fec_dossiers d on d.dossier = f.dossier
qualify row_number() over (partition by f.dossier, f.closing_date order by l.load_id desc) = 1;

-- closing balance of each account (debit − credit, opening entries included)
create or replace temp table ref_account as
select f.finess, f.year, l.compte_num as account, sum(l.debit - l.credit) as balance
from raw_fec_lines l join ref_fec_file f using (_file_hash)
group by all;

-- amounts by prefix: net balance, and the sums of the per-account debit and credit balances
create or replace temp table ref_fin as
with p(prefix) as (values ('1'), ('2'), ('39'), ('49'), ('59'), ('6'), ('7'), ('10'), ('11'), ('12'),
    ('13'), ('14'), ('15'), ('163'), ('164'), ('165'), ('166'), ('167'), ('168'), ('213'), ('214'),
    ('215'), ('218'), ('2813'), ('2814'), ('2815'), ('2818'), ('68'), ('78'), ('675'), ('775'), ('777'),
    ('778'), ('7781'), ('713'), ('6111'), ('6112'), ('621'), ('62111'), ('60'), ('611'), ('624'),
    ('625'), ('626'), ('628'), ('631'), ('633'), ('64')),
agg as (
    select a.finess, a.year, p.prefix, sum(a.balance) as net,
           sum(greatest(a.balance, 0)) as sd, sum(greatest(-a.balance, 0)) as sc
    from ref_account a join p on starts_with(a.account, p.prefix)
    group by all
)
select f.finess, f.year,
       coalesce(agg.net, 0) as net, coalesce(agg.sd, 0) as sd, coalesce(agg.sc, 0) as sc, p.prefix
from (select distinct finess, year from ref_fec_file) f cross join p
left join agg on agg.finess = f.finess and agg.year = f.year and agg.prefix = p.prefix;

create or replace temp table ref_fin_wide as
pivot ref_fin on prefix using first(net) as n, first(sd) as d, first(sc) as c group by finess, year;

create or replace temp table ref_fin_calc as
select *,
       -"7_n" as produits,
       "6_n" as charges,
       -"7_n" - "6_n" as resultat,
       "60_n" + "611_n" + "624_n" + "625_n" + "626_n" + "628_n" as groupe_1,
       "621_n" + "631_n" + "633_n" + "64_n" as groupe_2
from ref_fin_wide;

-- ESMS sections of the FEC (FI-10): first matching rule among hébergement, dépendance, soins
create or replace temp table ref_fin_section as
with rules as (
    select section, account_pattern,
           case section when 'hebergement' then 1 when 'dependance' then 2 when 'soins' then 3 end as rank
    from cfg_fec_sections
),
classified as (
    select a.finess, a.year, a.account, a.balance,
           (select r.section from rules r where regexp_matches(a.account, r.account_pattern)
            order by r.rank limit 1) as section
    from ref_account a
    where left(a.account, 1) in ('6', '7')
)
select finess, year, section, left(account, 1) as class, account, balance
from classified where section is not null;

create or replace temp table ref_finance as
with base as (
    select e.finess, e.year, e.category_code, e.budget_recettes, e.budget_depenses, e.dotation_soins,
           c.* exclude (finess, year), c.finess is not null as has_fec
    from ref_esms e left join ref_fin_calc c on c.finess = e.finess and c.year = e.year
),
sections as (
    select finess, year, section, class, sum(balance) as amount from ref_fin_section group by all
),
section_totals as (
    select finess, year, class, sum(amount) as total from sections group by all
),
soins_parts as (
    select finess, year,
           case when starts_with(account, '621') or starts_with(account, '631')
                  or starts_with(account, '633') or starts_with(account, '64') then 'personnel'
                when starts_with(account, '6122') or starts_with(account, '6135') or starts_with(account, '6155')
                  or starts_with(account, '6156') or starts_with(account, '6811') then 'materiel_medical'
                else 'prestations_fournitures_medicales' end as part,
           sum(balance) as amount
    from ref_fin_section where section = 'soins' and class = '6'
    group by all
),
has_sections as (select count(*) > 0 as mapped from cfg_fec_sections),
rows_ as (
    select finess, year, category_code, has_fec, 'A2-02' as code, null as breakdown,
           "6111_n" + "6112_n" + "621_n" - "62111_n" as num, groupe_2 + "6111_n" + "6112_n" as den,
           null::varchar as forced
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-01', null, produits, budget_recettes,
           case when budget_recettes is null then 'missing_input' end
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-02', null, charges, budget_depenses,
           case when budget_depenses is null then 'missing_input' end
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-03', null,
           resultat + "68_n" + "78_n" + "775_n" + "675_n" + "777_n" + "778_n",
           produits + "775_n" + "777_n" + "7781_n" + "78_n" + "713_n", null
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-04', null, "2813_c" + "2814_c", "213_d" + "214_d", null
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-05', b, n, d, null
    from base, lateral (values (null, "2815_c" + "2818_c", "215_d" + "218_d"),
                               ('installations_techniques', "2815_c", "215_d"),
                               ('autres_immobilisations', "2818_c", "218_d")) v(b, n, d)
    union all
    select finess, year, category_code, has_fec, 'A3-06', null,
           "163_c" + "164_c" + "165_c" + "167_c",
           "10_c" + "11_c" + "12_c" + "13_c" + "14_c" + "15_c" + greatest(resultat, 0)
             + "163_c" + "164_c" + "165_c" + "166_c" + "167_c" + "168_c", null
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-07', null,
           "1_c" + "2_c" + "39_c" + "49_c" + "59_c" + resultat - "1_d" - "2_d",
           (charges - "68_n" - "675_n") / 365, null
    from base
    union all
    select finess, year, category_code, has_fec, 'A3-08', g, n, charges, null
    from base, lateral (values ('I', groupe_1), ('II', groupe_2), ('III', charges - groupe_1 - groupe_2)) v(g, n)
    union all
    select b.finess, b.year, b.category_code, b.has_fec, k.code, s.section,
           k.sign_ * coalesce(x.amount, 0), k.sign_ * t.total,
           case when not (select mapped from has_sections) or t.total is null then 'missing_input' end
    from base b
    cross join (values ('A3-09', '7', -1), ('A3-10', '6', 1)) k(code, cls, sign_)
    cross join (values ('hebergement'), ('dependance'), ('soins')) s(section)
    left join section_totals t on t.finess = b.finess and t.year = b.year and t.class = k.cls
    left join sections x on x.finess = b.finess and x.year = b.year and x.section = s.section and x.class = k.cls
    union all
    select b.finess, b.year, b.category_code, b.has_fec, 'A3-11', part,
           coalesce(case when v.part is null then (select sum(amount) from soins_parts p where p.finess = b.finess and p.year = b.year)
                else (select sum(amount) from soins_parts p
                      where p.finess = b.finess and p.year = b.year and p.part = v.part) end, 0),
           b.dotation_soins,
           case when b.dotation_soins is null or not (select mapped from has_sections) or t.total is null
                then 'missing_input' end
    from base b
    left join section_totals t on t.finess = b.finess and t.year = b.year and t.class = '6'
    cross join (values (null), ('personnel'), ('prestations_fournitures_medicales'), ('materiel_medical')) v(part)
)
select r.finess, r.category_code, p.period_type, r.year, nullif(p.month, 0) as month, r.code as indicator_code,
       r.breakdown,
       case when p.period_type = 'year' and status = 'ok' then num end as numerator,
       case when p.period_type = 'year' and status = 'ok' then den end as denominator,
       case when p.period_type = 'year' and status = 'ok' then num / den end as value,
       case when p.period_type = 'year' then status else 'not_applicable' end as status
from ref_periods p join (
    select *,
           case when not applicable then 'not_applicable'
                when forced is not null then forced
                when not has_fec then 'missing_input'
                when den is null or den = 0 then 'not_applicable'
                else 'ok' end as status
    from (select *, case code when 'A3-09' then category_code = '500'
                              when 'A3-10' then category_code = '500'
                              when 'A3-11' then category_code in ('209', '354', '500')
                              else true end as applicable
          from rows_)
) r on r.year = p.year;

-- ---------------------------------------------------------------------------------------------------
-- HR (DSN → A2-01, A2-03..A2-10)
-- ---------------------------------------------------------------------------------------------------
-- RH-12: per SIRET × month × fraction, the latest declaration (constitution date, then load, then file)
create or replace temp table ref_dsn_kept as
select d._file_hash, d.establishment_line, d.siret, d.declared_month
from raw_dsn_declarations d join load_log l on l.file_hash = d._file_hash
qualify row_number() over (partition by d.siret, d.declared_month, d.fraction
                           order by d.constitution_date desc, l.load_id desc, l.file_name desc) = 1;

-- the FINESS of a declaring or workplace SIRET
create or replace temp table ref_dsn_siret as select siret, finess from cfg_dsn_establishments;

-- months covered by a kept declaration, per FINESS
create or replace temp table ref_hr_covered as
select distinct s.finess, k.declared_month as month_start
from ref_dsn_kept k join ref_dsn_siret s using (siret);

-- one row per contract and declared month (kept declarations only)
create or replace temp table ref_contract_month as
select c.individual_key, c.contract_number, c.start_date, c.declared_month, c.siret, c.nature, c.planned_end_date,
       c.recourse_reason, c.pcs_ese, c.job_label,
       case when c.quotite_unit in ('10', '12', '20', '21') and c.quotite_reference > 0
            then least(c.quotite / c.quotite_reference, 1.0) end as ratio,
       coalesce(case when c.finess_geo in (select finess from raw_esms_caracterisation) then c.finess_geo end,
                w.finess, s.finess) as finess
from raw_dsn_contracts c
join ref_dsn_kept k on k._file_hash = c._file_hash and k.establishment_line = c.establishment_line
left join ref_dsn_siret w on w.siret = c.workplace_siret
left join ref_dsn_siret s on s.siret = c.siret;

-- contract ends: the end block (latest declared), else RH-18 (vanished from a later declaration)
create or replace temp table ref_contract as
with last_row as (
    select * from ref_contract_month
    qualify row_number() over (partition by siret, individual_key, contract_number, start_date
                               order by declared_month desc) = 1
),
ends as (
    select e.siret, e.individual_key, e.contract_number, e.end_date, e.end_reason
    from raw_dsn_contract_ends e
    join ref_dsn_kept k on k._file_hash = e._file_hash and k.establishment_line = e.establishment_line
    where e.end_reason <> '998'
    qualify row_number() over (partition by e.siret, e.individual_key, e.contract_number order by e.declared_month desc) = 1
),
siret_last as (select siret, max(declared_month) as last_month from ref_dsn_kept group by siret)
select r.individual_key, r.contract_number, r.start_date, r.siret, r.finess, r.nature, r.recourse_reason,
       r.pcs_ese, r.job_label, r.declared_month as last_declared_month,
       coalesce(e.end_date,
                -- RH-18 (vanished without an end block): it ends in its last declared month, on the
                -- planned end date the contract gives when that date falls in this month
                case when r.declared_month < sl.last_month then
                     case when r.planned_end_date between r.declared_month and last_day(r.declared_month)
                          then r.planned_end_date else last_day(r.declared_month) end end) as end_date,
       e.end_reason
from last_row r
left join ends e on e.siret = r.siret and e.individual_key = r.individual_key and e.contract_number = r.contract_number
                and e.end_date >= r.start_date
left join siret_last sl on sl.siret = r.siret;

-- function of a job (RH-14): the shared rule list (keywords on the label win over the PCS-ESE code)
create or replace temp table ref_contract_function as
with jobs as (
    select distinct job_label, pcs_ese,
           ' ' || trim(regexp_replace(upper(strip_accents(coalesce(job_label, ''))), '[^A-Z0-9]+', ' ', 'g')) || ' ' as norm
    from ref_contract
),
matched as (
    select j.job_label, j.pcs_ese, r.function_code
    from jobs j join dsn_job_functions r
      on (r.rule = 'keyword' and contains(j.norm, ' ' || r.pattern || ' '))
      or (r.rule = 'pcs' and lower(j.pcs_ese) = lower(r.pattern))
    qualify row_number() over (partition by j.job_label, j.pcs_ese
                               order by r.priority, length(r.pattern) desc) = 1
)
select j.job_label, j.pcs_ese, coalesce(f.parent_code, f.function_code, 'AUTRE') as function_group,
       coalesce(f.is_care, false) as is_care, coalesce(f.is_socio_educative, false) as is_socio_educative,
       coalesce(f.is_management, false) as is_management
from jobs j
left join matched m on m.job_label is not distinct from j.job_label and m.pcs_ese is not distinct from j.pcs_ese
left join staff_functions f on f.function_code = m.function_code;

-- ETP ratio of a contract in a month: the row declared that month, else the latest before, else the first
create or replace temp table ref_contract_etp_month as
with months as (
    select distinct make_date(p.year, m, 1) as month_start from ref_periods p, range(1, 13) r(m)
),
active as (
    select c.*, m.month_start,
           greatest(c.start_date, m.month_start) as d0,
           least(coalesce(c.end_date, last_day(m.month_start)), last_day(m.month_start)) as d1
    from ref_contract c join months m
      on c.start_date <= last_day(m.month_start) and (c.end_date is null or c.end_date >= m.month_start)
)
select a.siret, a.individual_key, a.contract_number, a.start_date, a.finess, a.month_start,
       coalesce(cm.ratio, first.ratio) as ratio,
       datediff('day', a.d0, a.d1) + 1 as active_days,
       day(last_day(a.month_start)) as month_days
from active a
asof left join ref_contract_month cm
  on cm.siret = a.siret and cm.individual_key = a.individual_key and cm.contract_number = a.contract_number
 and cm.start_date = a.start_date and cm.declared_month <= a.month_start
left join (select siret, individual_key, contract_number, start_date, arg_min(ratio, declared_month) as ratio
           from ref_contract_month group by all) first
  on first.siret = a.siret and first.individual_key = a.individual_key and first.contract_number = a.contract_number
 and first.start_date = a.start_date;

-- ETP at a day: the ratio of the contracts active that day (RH-05, RH-06 snapshot)
create or replace temp table ref_hr_stock as
select e.finess, p.period_type, p.year, p.month, f.function_group, f.is_care, f.is_socio_educative,
       sum(coalesce(m.ratio, 0)) as etp
from ref_esms e
join ref_periods p on p.year = e.year
join ref_contract c on c.finess = e.finess and c.start_date <= p.period_end
                   and (c.end_date is null or c.end_date >= p.period_end)
join ref_contract_function f on f.job_label is not distinct from c.job_label and f.pcs_ese is not distinct from c.pcs_ese
join ref_contract_etp_month m on m.siret = c.siret and m.individual_key = c.individual_key and m.contract_number = c.contract_number
                             and m.start_date = c.start_date and m.month_start = date_trunc('month', p.period_end)
group by all;

-- persons on the last day of the period, with their age class (RH-10)
create or replace temp table ref_hr_persons as
with person as (
    select i.individual_key, any_value(i.birth_date order by i.declared_month desc) as birth_date
    from raw_dsn_individuals i
    join ref_dsn_kept k on k._file_hash = i._file_hash and k.establishment_line = i.establishment_line
    group by i.individual_key
)
select distinct e.finess, p.period_type, p.year, p.month, c.individual_key,
       case when pr.birth_date is null then null
            else datediff('year', pr.birth_date, p.period_end)
                 - (strftime(p.period_end, '%m%d') < strftime(pr.birth_date, '%m%d'))::int end as age
from ref_esms e
join ref_periods p on p.year = e.year
join ref_contract c on c.finess = e.finess and c.start_date <= p.period_end
                   and (c.end_date is null or c.end_date >= p.period_end)
left join person pr on pr.individual_key = c.individual_key;

-- coverage (RH-19): a stock needs the DSN of the period's last month, a flow every month of the period
create or replace temp table ref_hr_coverage as
select e.finess, p.period_type, p.year, p.month,
       exists (select 1 from ref_hr_covered v where v.finess = e.finess
               and v.month_start = date_trunc('month', p.period_end)) as stock_ok,
       (select count(*) from ref_hr_covered v where v.finess = e.finess
        and v.month_start between p.period_start and p.period_end)
         = datediff('month', p.period_start, p.period_end) + 1 as flow_ok,
       e.category_code, e.etp_budgetes, e.etp_budgetes_soins, e.etp_budgetes_socio_educatif,
       e.places_installees, p.period_start, p.period_end
from ref_esms e join ref_periods p on p.year = e.year;

-- absence days (RH-01, RH-02, RH-04, RH-15, RH-16): one row per person × FINESS × day with its motive
create or replace temp table ref_hr_absence_day as
with stoppage as (
    select w.siret, w.individual_key, w.contract_number, w.reason, w.last_day_worked,
           any_value(coalesce(w.resumption_date - 1, w.expected_end_date) order by w.declared_month desc) as last_day
    from raw_dsn_work_stoppages w
    join ref_dsn_kept k on k._file_hash = w._file_hash and k.establishment_line = w.establishment_line
    group by all
),
suspension as (
    select s.siret, s.individual_key, s.contract_number, s.reason, s.start_date as first_day,
           coalesce(max(s.end_date), last_day(max(s.declared_month))) as last_day
    from raw_dsn_suspensions s
    join ref_dsn_kept k on k._file_hash = s._file_hash and k.establishment_line = s.establishment_line
    group by all
),
spells as (
    select st.individual_key, st.contract_number, st.siret, 1 as block_rank,
           case when m.motive = 'MALADIE' then
                case when datediff('day', st.last_day_worked, st.last_day) <= 7 then 'ABS_MO'
                     when datediff('day', st.last_day_worked, st.last_day) <= 90 then 'ABS_MMD'
                     else 'ABS_MLD' end
                else m.motive end as motive,
           st.last_day_worked + 1 as first_day, st.last_day
    from stoppage st join dsn_absence_motives m on m.block = 'arret' and m.dsn_code = st.reason
    union all
    select su.individual_key, su.contract_number, su.siret, 2, m.motive, su.first_day, su.last_day
    from suspension su join dsn_absence_motives m on m.block = 'suspension' and m.dsn_code = su.reason
),
days as (
    select coalesce(c.finess, s.finess) as finess, sp.individual_key, sp.block_rank, sp.motive,
           unnest(generate_series(sp.first_day, sp.last_day, interval 1 day))::date as day
    from spells sp
    left join ref_dsn_siret s on s.siret = sp.siret
    left join (select siret, individual_key, contract_number, any_value(finess) as finess from ref_contract group by all) c
           on c.siret = sp.siret and c.individual_key = sp.individual_key and c.contract_number = sp.contract_number
    where sp.motive like 'ABS_%' and sp.last_day >= sp.first_day
)
select d.finess, d.individual_key, d.day, d.motive
from days d join hr_absence_motives o on o.code = d.motive
qualify row_number() over (partition by d.finess, d.individual_key, d.day order by d.block_rank, o.sort_order) = 1;

create or replace temp table ref_hr as
with etp_avg as (   -- average ETP over the period (mean of the monthly ETP, RH-05) × 365 or × days (RH-03)
    select v.finess, v.period_type, v.year, v.month,
           sum(m.ratio * m.active_days / m.month_days) / any_value(datediff('month', v.period_start, v.period_end) + 1) as etp_mean,
           sum(m.ratio * m.active_days / m.month_days) / any_value(datediff('month', v.period_start, v.period_end) + 1)
             * any_value(datediff('day', v.period_start, v.period_end) + 1) as etp_days
    from ref_hr_coverage v
    join ref_contract_etp_month m on m.finess = v.finess and m.month_start between v.period_start and v.period_end
    group by v.finess, v.period_type, v.year, v.month
),
absence as (
    select v.finess, v.period_type, v.year, v.month, a.motive, count(*) as days
    from ref_hr_coverage v join ref_hr_absence_day a on a.finess = v.finess and a.day between v.period_start and v.period_end
    group by all
),
stock as (
    select finess, period_type, year, month, sum(etp) as etp,
           sum(etp) filter (where function_group = 'DIR') as etp_dir,
           sum(etp) filter (where is_care) as etp_soins,
           sum(etp) filter (where is_socio_educative) as etp_socio
    from ref_hr_stock group by all
),
permanent as (select * from ref_contract where nature in ('01', '07', '09', '50')),
rows_ as (
    -- A2-01 ETP vacants, dont soins, dont socio-éducatif
    select v.*, 'A2-01' as code, b.breakdown, b.budget - coalesce(b.real, 0) as num, b.budget as den,
           'stock' as kind, case when b.budget is null then 'missing_input' end as forced, 1.0 as scale
    from ref_hr_coverage v
    left join stock s using (finess, period_type, year, month)
    cross join lateral (values (null, v.etp_budgetes, s.etp),
                               ('soins', v.etp_budgetes_soins, s.etp_soins),
                               ('socio_educatif', v.etp_budgetes_socio_educatif, s.etp_socio)) b(breakdown, budget, real)
    union all
    select v.*, 'A2-03', null, coalesce(s.etp_dir, 0), s.etp, 'stock', null, 1.0
    from ref_hr_coverage v left join stock s using (finess, period_type, year, month)
    union all
    -- A2-04 = every motive (breakdown null); A2-05 = each motive, and the total again as its null row
    select v.*, k.code, o.code, coalesce((select sum(a.days) from absence a where a.finess = v.finess
               and a.period_type = v.period_type and a.year = v.year and a.month = v.month
               and (o.code is null or a.motive = o.code)), 0),
           case when v.period_type = 'year' then t.etp_mean * 365 else t.etp_days end, 'flow', null, 1.0
    from ref_hr_coverage v
    cross join (select code from hr_absence_motives union all select null) o
    cross join (values ('A2-04'), ('A2-05')) k(code)
    left join etp_avg t using (finess, period_type, year, month)
    where k.code = 'A2-05' or o.code is null
    union all
    select v.*, 'A2-06', null,
           ((select count(*) from permanent c where c.finess = v.finess and c.start_date between v.period_start and v.period_end)
            + (select count(*) from permanent c where c.finess = v.finess and c.end_date between v.period_start and v.period_end
               and coalesce(c.end_reason, '') not in ('099', '998'))) / 2,
           (select count(distinct c.individual_key) from permanent c where c.finess = v.finess
            and c.start_date <= v.period_start - 1 and (c.end_date is null or c.end_date >= v.period_start - 1)),
           'flow', null, 1.0
    from ref_hr_coverage v
    union all
    select v.*, 'A2-07', f.function_code, coalesce(case when f.function_code is null then s.etp else h.etp end, 0),
           s.etp, 'stock', null, 1.0
    from ref_hr_coverage v
    cross join (select function_code from staff_functions where parent_code is null union all select null) f
    left join stock s using (finess, period_type, year, month)
    left join (select finess, period_type, year, month, function_group, sum(etp) as etp from ref_hr_stock group by all) h
           on h.finess = v.finess and h.period_type = v.period_type and h.year = v.year and h.month = v.month
          and h.function_group = f.function_code
    union all
    select v.*, 'A2-08', k.class_label, coalesce(a.n, 0), coalesce(t.n, 0), 'stock', null, 1.0
    from ref_hr_coverage v
    cross join (select class_label, age_min, age_max from staff_age_classes
                union all select 'non renseigné', null, null) k
    left join (select h.finess, h.period_type, h.year, h.month, coalesce(c.class_label, 'non renseigné') as class_label,
                      count(*) as n
               from ref_hr_persons h
               left join staff_age_classes c on h.age between c.age_min and coalesce(c.age_max, 999)
               group by all) a
           on a.finess = v.finess and a.period_type = v.period_type and a.year = v.year and a.month = v.month
          and a.class_label = k.class_label
    left join (select finess, period_type, year, month, count(*) as n from ref_hr_persons group by all) t
           on t.finess = v.finess and t.period_type = v.period_type and t.year = v.year and t.month = v.month
    union all
    select v.*, 'A2-09', null, coalesce(s.etp, 0), v.places_installees, 'stock',
           case when v.places_installees is null then 'missing_input' end, 100.0
    from ref_hr_coverage v left join stock s using (finess, period_type, year, month)
    union all
    select v.*, 'A2-10', null,
           (select count(*) from ref_contract c where c.finess = v.finess and c.nature in ('02', '10')
            and c.recourse_reason in ('01', '12', '13') and c.start_date between v.period_start and v.period_end),
           null, 'flow', null, 1.0
    from ref_hr_coverage v
)
select finess, category_code, period_type, year, nullif(month, 0) as month, code as indicator_code, breakdown,
       case when status = 'ok' then num end as numerator,
       case when status = 'ok' then den end as denominator,
       case when status = 'ok' then case when code = 'A2-10' then num
                                         when code = 'A2-07' then num
                                         else num / den * scale end end as value,
       status
from (
    select *,
           case when code = 'A2-09' and category_code in ('189', '190') then 'not_applicable'
                when forced is not null then forced
                when (kind = 'stock' and not stock_ok) or (kind = 'flow' and not flow_ok) then 'missing_input'
                when code <> 'A2-10' and (den is null or den = 0) then 'not_applicable'
                else 'ok' end as status
    from rows_
);

-- ---------------------------------------------------------------------------------------------------
-- Activity (A1). Prelude: each family's raw tables normalised to stays, absences, attended days, acts,
-- persons and evaluations with the common codes (the families' code lists are the shared mapping seeds).
-- A family does not carry: Creton and acts (classeur_xlsx), PATHOS (export_csv) — AC-21.
-- ---------------------------------------------------------------------------------------------------
create or replace temp table ref_family as select any_value(activity_family) as family from cfg_association;

-- export_csv (AC-22): the newest extraction wins, record by record
create or replace temp table ref_csv_stay as
select * from raw_export_csv_sejours
qualify row_number() over (partition by stay_key order by extraction_date desc, _line desc) = 1;

-- base_sqlite (AC-22): the newest file replaces the previous one whole
create or replace temp table ref_sqlite_file as
select m._file_hash from raw_base_sqlite_movement m join load_log l on l.file_hash = m._file_hash
order by l.load_id desc limit 1;

create or replace temp table ref_sqlite_event as
select m.*, f.finess from raw_base_sqlite_movement m
join raw_base_sqlite_facility f on f.facility_id = m.facility_id and f._file_hash = m._file_hash
where m._file_hash in (select _file_hash from ref_sqlite_file);

-- stays: an ADM and the next DIS of the same person in the same facility
create or replace temp table ref_sqlite_stay as
with adm_dis as (
    select *, lead(movement_type) over w as next_type, lead(movement_date) over w as next_date,
           lead(reason) over w as next_reason
    from ref_sqlite_event where movement_type in ('ADM', 'DIS')
    window w as (partition by person_key, finess order by movement_date, movement_type = 'ADM', movement_id)
)
select person_key, finess, care_mode, movement_date as entry_date,
       case when next_type = 'DIS' then next_date end as exit_date, origin,
       case when next_type = 'DIS' then next_reason end as reason, movement_id
from adm_dis where movement_type = 'ADM';

-- classeur_xlsx (AC-22, AC-36): a re-delivered month replaces that month; stays are an E movement and the
-- next S of the person in the ESMS (a mode change is an S and an E on the same day), or a billed stay whose
-- entry precedes the first workbook
create or replace temp table ref_xlsx_file as
select workbook_month, _file_hash from (
    select distinct j.workbook_month, j._file_hash, l.load_id from (
        select workbook_month, _file_hash from raw_classeur_xlsx_journees
        union all select workbook_month, _file_hash from raw_classeur_xlsx_mouvements
        union all select workbook_month, _file_hash from raw_classeur_xlsx_residents
        union all select workbook_month, _file_hash from raw_classeur_xlsx_evaluations) j
    join load_log l on l.file_hash = j._file_hash
)
qualify row_number() over (partition by workbook_month order by load_id desc) = 1;

create or replace temp table ref_xlsx_stay as
with moves as (
    select m.* from raw_classeur_xlsx_mouvements m where m._file_hash in (select _file_hash from ref_xlsx_file)
),
billed_only as (
    select distinct j.person_key, j.finess, 'E' as movement_type, j.entry_date as movement_date, j.mode_code,
           null as provenance_code, null as exit_motive_code
    from raw_classeur_xlsx_journees j
    where j._file_hash in (select _file_hash from ref_xlsx_file)
      and not exists (select 1 from moves m where m.person_key = j.person_key and m.finess = j.finess
                      and m.movement_type = 'E' and m.movement_date = j.entry_date)
),
events as (
    select person_key, finess, movement_type, movement_date, mode_code, provenance_code, exit_motive_code from moves
    union all
    select * from billed_only
),
paired as (
    select *, lead(movement_type) over w as next_type, lead(movement_date) over w as next_date,
           lead(exit_motive_code) over w as next_motive
    from events
    window w as (partition by person_key, finess order by movement_date, movement_type = 'E')
)
select person_key, finess, mode_code, movement_date as entry_date,
       case when next_type = 'S' then next_date end as exit_date, provenance_code,
       case when next_type = 'S' then next_motive end as exit_motive_code
from paired where movement_type = 'E';

create or replace temp table ref_stay_all as
with mapped as (
    select 'pivot' as family, s.stay_key, s.person_key, s.finess, coalesce(m.common_code, 'INCONNU') as mode,
           s.entry_date, s.exit_date,
           case when s.provenance is null then null else coalesce(p.common_code, 'INCONNU') end as provenance,
           case when s.exit_motive is null then null else coalesce(x.common_code, 'INCONNU') end as exit_motive,
           s.creton
    from raw_pivot_stays s
    left join pivot__codes m on m.domain = 'mode' and m.vendor_code = s.mode
    left join pivot__codes p on p.domain = 'provenance' and p.vendor_code = s.provenance
    left join pivot__codes x on x.domain = 'exit_motive' and x.vendor_code = s.exit_motive
    union all
    select 'export_csv', s.stay_key, s.person_key, s.finess, coalesce(m.common_code, 'INCONNU'), s.entry_date, s.exit_date,
           case when s.provenance_label is null then null else coalesce(p.common_code, 'INCONNU') end,
           case when s.exit_motive_label is null then null else coalesce(x.common_code, 'INCONNU') end, s.creton
    from ref_csv_stay s
    left join export_csv__codes m on m.domain = 'mode' and m.vendor_code = s.mode_label
    left join export_csv__codes p on p.domain = 'provenance' and p.vendor_code = s.provenance_label
    left join export_csv__codes x on x.domain = 'exit_motive' and x.vendor_code = s.exit_motive_label
    union all
    select 'base_sqlite', s.movement_id::varchar, s.person_key, s.finess, coalesce(m.common_code, 'INCONNU'), s.entry_date,
           s.exit_date,
           case when s.origin is null then null else coalesce(p.common_code, 'INCONNU') end,
           case when s.reason is null then null else coalesce(x.common_code, 'INCONNU') end, null
    from ref_sqlite_stay s
    left join base_sqlite__codes m on m.domain = 'mode' and m.vendor_code = s.care_mode
    left join base_sqlite__codes p on p.domain = 'provenance' and p.vendor_code = s.origin
    left join base_sqlite__codes x on x.domain = 'exit_motive' and x.vendor_code = s.reason
    union all
    select 'classeur_xlsx', s.person_key || '|' || s.finess || '|' || s.entry_date, s.person_key, s.finess,
           coalesce(m.common_code, 'INCONNU'), s.entry_date, s.exit_date,
           case when s.provenance_code is null then null else coalesce(p.common_code, 'INCONNU') end,
           case when s.exit_motive_code is null then null else coalesce(x.common_code, 'INCONNU') end, null
    from ref_xlsx_stay s
    left join classeur_xlsx__codes m on m.domain = 'mode' and m.vendor_code = s.mode_code
    left join classeur_xlsx__codes p on p.domain = 'provenance' and p.vendor_code = s.provenance_code
    left join classeur_xlsx__codes x on x.domain = 'exit_motive' and x.vendor_code = s.exit_motive_code
)
select * from mapped;

-- AC-34: a stay starting before the end of an earlier stay of the person in the ESMS is set aside
create or replace temp table ref_stay as
select * exclude (earlier_exit) from (
    select *, max(coalesce(exit_date, date '9999-12-31')) over (
                  partition by person_key, finess order by entry_date, exit_date nulls last, stay_key
                  rows between unbounded preceding and 1 preceding) as earlier_exit
    from ref_stay_all
)
where earlier_exit is null or entry_date >= earlier_exit;

-- accompagnements: a person's chain of stays in one ESMS, each next stay entering on the exit day of the
-- previous one or the day after (AC-04)
create or replace temp table ref_stay_acc as
with ordered as (
    select *, max(coalesce(exit_date, date '9999-12-31')) over (
                  partition by person_key, finess order by entry_date, exit_date nulls last, stay_key
                  rows between unbounded preceding and 1 preceding) as previous_exit
    from ref_stay
),
flagged as (
    select *, sum(case when previous_exit is null or entry_date > previous_exit + 1 then 1 else 0 end) over (
                  partition by person_key, finess order by entry_date, exit_date nulls last, stay_key) as acc_no
    from ordered
)
select * from flagged;

create or replace temp table ref_acc as
select person_key, finess, acc_no,
       min(entry_date) as entry_date,
       case when bool_or(exit_date is null) then null else max(exit_date) end as exit_date,
       arg_min(mode, entry_date) as first_mode, arg_min(provenance, entry_date) as provenance,
       arg_max(mode, coalesce(exit_date, date '9999-12-31')) as last_mode,
       arg_max(exit_motive, coalesce(exit_date, date '9999-12-31')) as exit_motive
from ref_stay_acc group by all;

-- persons (AC-10: the latest delivery's values)
create or replace temp table ref_person as
select person_key, birth_date, main_deficiency, associated, protection from (
    select v.person_key, v.birth_date,
           case when v.main_deficiency is null then 'NR' else coalesce(m.common_code, 'INCONNU') end as main_deficiency,
           (select list(coalesce(a.common_code, 'INCONNU')) from unnest(string_split(coalesce(v.associated_deficiencies, ''), '|')) t(c)
            left join pivot__codes a on a.domain = 'deficiency' and a.vendor_code = t.c where t.c <> '') as associated,
           v.protection
    from raw_pivot_persons v
    left join pivot__codes m on m.domain = 'deficiency' and m.vendor_code = v.main_deficiency
    union all
    select u.person_key, u.birth_date,
           case when u.main_deficiency_label is null then 'NR' else coalesce(m.common_code, 'INCONNU') end,
           (select list(coalesce(a.common_code, 'INCONNU')) from unnest(string_split(coalesce(u.associated_deficiency_labels, ''), '|')) t(l)
            left join export_csv__codes a on a.domain = 'deficiency' and a.vendor_code = t.l where t.l <> ''),
           u.protection
    from (select * from raw_export_csv_usagers
          qualify row_number() over (partition by person_key order by extraction_date desc, _line desc) = 1) u
    left join export_csv__codes m on m.domain = 'deficiency' and m.vendor_code = u.main_deficiency_label
    union all
    select p.person_key, p.birth_date,
           case when p.main_disability_code is null then 'NR' else coalesce(m.common_code, 'INCONNU') end,
           (select list(coalesce(c.common_code, 'INCONNU')) from raw_base_sqlite_patient_disability pd
            left join raw_base_sqlite_disability d on d.code = pd.disability_code and d._file_hash = pd._file_hash
            left join base_sqlite__codes c on c.domain = 'deficiency' and c.vendor_code = d.label
            where pd.person_key = p.person_key and pd._file_hash = p._file_hash),
           p.protection
    from raw_base_sqlite_patient p
    left join raw_base_sqlite_disability d on d.code = p.main_disability_code and d._file_hash = p._file_hash
    left join base_sqlite__codes m on m.domain = 'deficiency' and m.vendor_code = d.label
    where p._file_hash in (select _file_hash from ref_sqlite_file)
    union all
    select r.person_key, r.birth_date,
           case when r.main_deficiency_code is null then 'NR' else coalesce(m.common_code, 'INCONNU') end,
           (select list(coalesce(a.common_code, 'INCONNU')) from unnest(string_split(coalesce(r.associated_deficiency_codes, ''), ',')) t(c)
            left join classeur_xlsx__codes a on a.domain = 'deficiency' and a.vendor_code = trim(t.c) where trim(t.c) <> ''),
           r.protection
    from (select * from raw_classeur_xlsx_residents where _file_hash in (select _file_hash from ref_xlsx_file)
          qualify row_number() over (partition by person_key order by workbook_month desc, _line desc) = 1) r
    left join classeur_xlsx__codes m on m.domain = 'deficiency' and m.vendor_code = r.main_deficiency_code
);

-- dated evaluations (an undated GIR is not one, AC-08)
create or replace temp table ref_evaluation as
select person_key, assessed_on, gir, pathos_points from raw_pivot_assessments
union all
select person_key, gir_assessed_on, gir, null from (
    select * from raw_export_csv_usagers
    qualify row_number() over (partition by person_key order by extraction_date desc, _line desc) = 1)
where gir_assessed_on is not null
union all
select person_key, assessed_on, gir, pathos_points from raw_base_sqlite_dependency_assessment
where _file_hash in (select _file_hash from ref_sqlite_file)
union all
select distinct person_key, assessed_on, gir, pathos_points from raw_classeur_xlsx_evaluations
where _file_hash in (select _file_hash from ref_xlsx_file);

-- ESMS × period: capacities and what the sheet gives (AC-19: yearly quantities spread by calendar days)
create or replace temp table ref_act_period as
select e.finess, e.category_code, p.period_type, p.year, p.month, p.period_start, p.period_end,
       (datediff('day', p.period_start, p.period_end) + 1) / (datediff('day', make_date(p.year, 1, 1), make_date(p.year, 12, 31)) + 1) as share
from ref_esms e join ref_periods p on p.year = e.year
where e.finess in (select finess from ref_stay);

create or replace temp table ref_sheet_mode as
select s.finess, s.year, s.mode, m.mode_group, m.is_residential, m.is_day_mode, m.is_service,
       s.places_autorisees, s.jours_ouverture, s.journees_financees, s.actes_finances, s.age_min, s.age_max,
       s.places_habilitees_aide_sociale, s.beneficiaires_aide_sociale, s.gmp_valide, s.pmp_valide
from raw_esms_caracterisation s join modes m on m.mode = s.mode;



-- the stay that counts on a day (AC-29): the latest stay entered on or before it, in an accompagnement
-- covering it (AC-03)
create or replace temp table ref_at_end as
select p.finess, p.period_type, p.year, p.month, p.period_end, s.person_key, s.mode, s.creton
from ref_act_period p
join ref_stay_acc s on s.finess = p.finess and s.entry_date <= p.period_end
join ref_acc a on a.person_key = s.person_key and a.finess = s.finess and a.acc_no = s.acc_no
              and a.entry_date <= p.period_end and (a.exit_date is null or a.exit_date > p.period_end)
qualify row_number() over (partition by p.finess, p.period_type, p.year, p.month, s.person_key
                           order by s.entry_date desc, s.stay_key desc) = 1;

create or replace temp table ref_at_end_person as
select e.*, r.birth_date, r.main_deficiency, r.associated, r.protection,
       case when r.birth_date is null then null
            else datediff('year', r.birth_date, e.period_end)
                 - (strftime(e.period_end, '%m%d') < strftime(r.birth_date, '%m%d'))::int end as age
from ref_at_end e left join ref_person r using (person_key);

-- persons in hébergement (HP, HT) on the last day, with the GIR of their latest dated evaluation and the
-- points of their latest evaluation that has points (AC-08)
create or replace temp table ref_housed as
select e.finess, e.period_type, e.year, e.month, e.person_key,
       (select v.gir from ref_evaluation v where v.person_key = e.person_key and v.assessed_on <= e.period_end
        and v.gir is not null order by v.assessed_on desc limit 1) as gir,
       (select v.pathos_points from ref_evaluation v where v.person_key = e.person_key and v.assessed_on <= e.period_end
        and v.pathos_points is not null order by v.assessed_on desc limit 1) as pathos_points
from ref_at_end e where e.mode in ('HP', 'HT');

-- admissions and definitive exits of the period (AC-04, AC-25)
create or replace temp table ref_moves as
select p.finess, p.period_type, p.year, p.month, 'admission' as kind, a.first_mode as mode, a.provenance as code,
       null::bigint as duration
from ref_act_period p join ref_acc a on a.finess = p.finess and a.entry_date between p.period_start and p.period_end
union all
select p.finess, p.period_type, p.year, p.month, 'exit', a.last_mode, a.exit_motive, datediff('day', a.entry_date, a.exit_date)
from ref_act_period p join ref_acc a on a.finess = p.finess and a.exit_date between p.period_start and p.period_end;

-- absences [first day away, day of return) (AC-02), with their common motive
create or replace temp table ref_absence as
select s.person_key, s.finess, a.first_day, a.last_day + 1 as return_day, coalesce(m.common_code, 'INCONNU') as motive
from raw_pivot_absences a join ref_stay s on s.family = 'pivot' and s.stay_key = a.stay_key
left join pivot__codes m on m.domain = 'absence_motive' and m.vendor_code = a.motive
union all
select s.person_key, s.finess, a.first_day, a.last_day + 1, coalesce(m.common_code, 'INCONNU')
from (select * from raw_export_csv_absences
      qualify row_number() over (partition by stay_key, first_day order by extraction_date desc, _line desc) = 1) a
join ref_stay s on s.family = 'export_csv' and s.stay_key = a.stay_key
left join export_csv__codes m on m.domain = 'absence_motive' and m.vendor_code = a.motive_label
union all
-- base_sqlite: HOSP_OUT / LEAVE_OUT until the next HOSP_IN / LEAVE_IN; an open hospital leave ends at the
-- discharge, else on 31/12 of the last year of the ESMS sheet (AC-37)
select o.person_key, o.finess, o.movement_date,
       coalesce(o.back_date,
                (select min(d.movement_date) from ref_sqlite_event d where d.person_key = o.person_key
                 and d.finess = o.finess and d.movement_type = 'DIS' and d.movement_date >= o.movement_date),
                (select make_date(max(year), 12, 31) + 1 from raw_esms_caracterisation)),
       coalesce(m.common_code, 'INCONNU')
from (
    select e.*, lead(case when movement_type in ('HOSP_IN', 'LEAVE_IN') then movement_date end) over w as back_date,
           lead(movement_type) over w as next_type
    from ref_sqlite_event e
    where movement_type in ('HOSP_OUT', 'HOSP_IN', 'LEAVE_OUT', 'LEAVE_IN')
    window w as (partition by person_key, finess, case when movement_type like 'HOSP%' then 'H' else 'L' end
                 order by movement_date, movement_id)
) o
left join base_sqlite__codes m on m.domain = 'absence_motive' and m.vendor_code = o.movement_type
where o.movement_type in ('HOSP_OUT', 'LEAVE_OUT');

-- absence days inside a residential stay: one motive per person-day, hospitalisation first (AC-24)
create or replace temp table ref_absence_day as
with days as (
    select a.person_key, a.finess, a.motive,
           unnest(generate_series(a.first_day, a.return_day - 1, interval 1 day))::date as day
    from ref_absence a where a.return_day > a.first_day
)
select d.person_key, d.finess, d.day, s.mode, d.motive, coalesce(am.is_hospitalisation, false) as is_hosp
from days d
join ref_stay s on s.person_key = d.person_key and s.finess = d.finess and s.entry_date <= d.day
               and (s.exit_date is null or s.exit_date > d.day)
join modes m on m.mode = s.mode and m.is_residential
left join absence_motives am on am.code = d.motive
qualify row_number() over (partition by d.person_key, d.finess, d.day
                           order by coalesce(am.precedence, 99), s.entry_date desc) = 1;

-- attended days of the day modes, with the mode of the stay covering the day
create or replace temp table ref_attendance_day as
select distinct s.person_key, s.finess, s.mode, a.day
from (select s.person_key, s.finess, a.day from raw_pivot_attendance_days a
      join ref_stay s on s.family = 'pivot' and s.stay_key = a.stay_key
      union all
      select s.person_key, s.finess, a.day from raw_export_csv_presences a
      join ref_stay s on s.family = 'export_csv' and s.stay_key = a.stay_key
      union all
      select a.person_key, f.finess, a.day from raw_base_sqlite_attendance a
      join raw_base_sqlite_facility f on f.facility_id = a.facility_id and f._file_hash = a._file_hash
      where a._file_hash in (select _file_hash from ref_sqlite_file)) a
join ref_stay s on s.person_key = a.person_key and s.finess = a.finess and s.entry_date <= a.day
               and (s.exit_date is null or s.exit_date > a.day)
join modes m on m.mode = s.mode and m.is_day_mode;

-- acts with their common status (an unknown status is left out, AC-31)
create or replace temp table ref_act as
select a.finess, a.day, a.status from (
    select s.finess, a.day, m.common_code as status from raw_pivot_acts a join ref_stay s on s.family = 'pivot' and s.stay_key = a.stay_key
    left join pivot__codes m on m.domain = 'act_status' and m.vendor_code = a.status
    union all
    select s.finess, a.day, m.common_code from raw_export_csv_actes a
    join ref_stay s on s.family = 'export_csv' and s.stay_key = a.stay_key
    left join export_csv__codes m on m.domain = 'act_status' and m.vendor_code = a.status_label
    union all
    select f.finess, a.day, m.common_code from raw_base_sqlite_appointment a
    join raw_base_sqlite_facility f on f.facility_id = a.facility_id and f._file_hash = a._file_hash
    left join base_sqlite__codes m on m.domain = 'act_status' and m.vendor_code = a.status
    where a._file_hash in (select _file_hash from ref_sqlite_file)
) a where a.status in ('REALISE', 'ANNULE', 'ABSENT');

-- days of the period per mode (AC-12): residential = covered − absent; day modes = attended; services =
-- covered by the accompagnement (the day between a stay and its next-day continuation included)
create or replace temp table ref_mode_days as
with stay_range as (
    select s.*, m.is_residential, m.is_service,
           case when m.is_service then coalesce(lead(s.entry_date) over (
                    partition by s.person_key, s.finess, s.acc_no order by s.entry_date, s.stay_key), s.exit_date)
                else s.exit_date end as range_end
    from ref_stay_acc s join modes m on m.mode = s.mode
),
covered as (
    select p.finess, p.period_type, p.year, p.month, r.mode, r.is_residential, r.is_service,
           sum(greatest(0, datediff('day', greatest(r.entry_date, p.period_start),
                                     least(coalesce(r.range_end, date '9999-12-31'), p.period_end + 1)))) as days
    from ref_act_period p join stay_range r on r.finess = p.finess
    where (r.is_residential or r.is_service) and r.family <> 'classeur_xlsx'   -- billed days instead (AC-36)
    group by all
),
absent as (
    select p.finess, p.period_type, p.year, p.month, a.mode, count(*) as days,
           count(*) filter (where a.is_hosp) as hosp_days
    from ref_act_period p join ref_absence_day a on a.finess = p.finess and a.day between p.period_start and p.period_end
    group by all
),
attended as (
    select p.finess, p.period_type, p.year, p.month, a.mode, count(*) as days
    from ref_act_period p join ref_attendance_day a on a.finess = p.finess and a.day between p.period_start and p.period_end
    group by all
),
billed as (   -- classeur_xlsx: the billed days of the months of the period
    select p.finess, p.period_type, p.year, p.month, j.mode_code as mode, sum(j.present_days) as present,
           sum(j.absent_hospital_days) as hosp, sum(j.absent_hospital_days + j.absent_other_days) as absent
    from ref_act_period p
    join raw_classeur_xlsx_journees j on j.finess = p.finess and j.workbook_month between p.period_start and p.period_end
    where j._file_hash in (select _file_hash from ref_xlsx_file)
    group by all
)
select p.finess, p.period_type, p.year, p.month, m.mode, m.mode_group, m.is_residential,
       coalesce(x.present, 0) +
       case when m.is_residential then coalesce(c.days, 0) - coalesce(b.days, 0)
            when m.is_day_mode then coalesce(t.days, 0)
            else coalesce(c.days, 0) end as realised,
       case when m.is_residential then coalesce(c.days, 0) + coalesce(x.present, 0) + coalesce(x.absent, 0) end as covered,
       case when m.is_residential then coalesce(b.days, 0) + coalesce(x.absent, 0) end as absent,
       case when m.is_residential then coalesce(b.hosp_days, 0) + coalesce(x.hosp, 0) end as hosp
from ref_act_period p cross join modes m
left join billed x on x.finess = p.finess and x.period_type = p.period_type and x.year = p.year and x.month = p.month and x.mode = m.mode
left join covered c on c.finess = p.finess and c.period_type = p.period_type and c.year = p.year and c.month = p.month and c.mode = m.mode
left join absent b on b.finess = p.finess and b.period_type = p.period_type and b.year = p.year and b.month = p.month and b.mode = m.mode
left join attended t on t.finess = p.finess and t.period_type = p.period_type and t.year = p.year and t.month = p.month and t.mode = m.mode;

create or replace temp table ref_sheet as
select finess, year,
       sum(places_autorisees) as places_all,
       sum(places_autorisees) filter (where mode <> 'AJ') as places_no_aj,
       sum(places_autorisees) filter (where mode = 'AJ') as places_aj,
       bool_or(mode = 'AJ') as has_aj,
       bool_or(is_residential) as has_residential,
       bool_or(age_min is not null or age_max is not null) as has_age_bounds,
       sum(actes_finances) as actes_finances,
       bool_or(actes_finances is not null) as has_actes,
       bool_and(journees_financees is not null) as all_journees,
       sum(journees_financees) as journees_financees,
       sum(places_habilitees_aide_sociale) as places_habilitees,
       sum(beneficiaires_aide_sociale) as beneficiaires,
       max(gmp_valide) as gmp_valide, max(pmp_valide) as pmp_valide
from ref_sheet_mode group by all;

create or replace temp table ref_activity as
with base as (
    select p.*, s.* exclude (finess, year), f.family,
           p.category_code in ('182', '183', '186', '188', '189', '190', '192', '194', '195', '196') as is_children,
           coalesce(e.persons, 0) as persons
    from ref_act_period p join ref_sheet s on s.finess = p.finess and s.year = p.year cross join ref_family f
    left join (select finess, period_type, year, month, count(*) as persons from ref_at_end group by all) e
           on e.finess = p.finess and e.period_type = p.period_type and e.year = p.year and e.month = p.month
),
absentees as (   -- A1-16 denominator: persons with an absence day in a residential mode in the period
    select p.finess, p.period_type, p.year, p.month, count(distinct a.person_key) as persons
    from ref_act_period p
    join (select person_key, finess, day as first_day, day as last_day from ref_absence_day
          union all
          select j.person_key, j.finess, j.workbook_month, last_day(j.workbook_month)
          from raw_classeur_xlsx_journees j join modes m on m.mode = j.mode_code
          where m.is_residential and j.absent_hospital_days + j.absent_other_days > 0
            and j._file_hash in (select _file_hash from ref_xlsx_file)) a
      on a.finess = p.finess and a.first_day between p.period_start and p.period_end
    group by all
),
day_care as (   -- A1-21: persons in an accueil de jour stay on the last day + such stays ended in the period
    select p.finess, p.period_type, p.year, p.month,
           count(distinct s.person_key) filter (where s.entry_date <= p.period_end
                                                and (s.exit_date is null or s.exit_date > p.period_end))
           + count(*) filter (where s.exit_date between p.period_start and p.period_end) as n
    from ref_act_period p join ref_stay s on s.finess = p.finess and s.mode = 'AJ'
    group by all
),
group_days as (
    select finess, period_type, year, month, mode_group, sum(realised) as realised
    from ref_mode_days where mode_group is not null group by all
),
group_capacity as (
    select finess, year, mode_group, sum(places_autorisees * jours_ouverture) as capacity
    from ref_sheet_mode where mode_group is not null group by all
),
moves as (
    select finess, period_type, year, month,
           count(*) filter (where kind = 'admission') as admissions,
           count(*) filter (where kind = 'exit') as exits,
           count(*) filter (where kind = 'admission' and mode <> 'AJ') as admissions_no_aj,
           count(*) filter (where kind = 'exit' and mode <> 'AJ') as exits_no_aj,
           count(*) filter (where kind = 'exit' and mode not in ('HT', 'AJ')) as exits_los,
           sum(duration) filter (where kind = 'exit' and mode not in ('HT', 'AJ')) as duration_los
    from ref_moves group by all
),
derogation as (   -- AC-07: age outside the bounds of the sheet row of the mode on the last day
    select e.finess, e.period_type, e.year, e.month,
           count(*) filter (where e.age < m.age_min or e.age > m.age_max) as derogations,
           count(*) filter (where (e.age < m.age_min or e.age > m.age_max) and e.creton) as creton
    from ref_at_end_person e
    join ref_sheet_mode m on m.finess = e.finess and m.year = e.year and m.mode = e.mode
    group by all
),
days as (
    select finess, period_type, year, month,
           sum(realised) as realised, sum(covered) as covered, sum(absent) as absent, sum(hosp) as hosp
    from ref_mode_days group by all
),
acts as (
    select p.finess, p.period_type, p.year, p.month,
           count(*) filter (where a.status = 'REALISE') as done, count(*) as programmed
    from ref_act_period p join ref_act a on a.finess = p.finess and a.day between p.period_start and p.period_end
    group by all
),
classes as (   -- persons on the last day per age class, déficience and protection
    select e.finess, e.period_type, e.year, e.month, 'age' as kind, c.class_label as class, count(*) as n
    from ref_at_end_person e
    join person_age_classes c
      on case when c.age_min is null then e.age is null else e.age between c.age_min and coalesce(c.age_max, 999) end
    group by all
    union all
    select finess, period_type, year, month, 'principale', coalesce(main_deficiency, 'NR'), count(*)
    from ref_at_end_person group by all
    union all
    select finess, period_type, year, month, 'associee', code, count(*)
    from (select distinct e.finess, e.period_type, e.year, e.month, e.person_key, a.code
          from ref_at_end_person e, unnest(e.associated) a(code)
          where a.code is distinct from e.main_deficiency)
    group by all
    union all
    select finess, period_type, year, month, 'protection', 'oui', count(*) filter (where protection)
    from ref_at_end_person group by all
    union all
    select finess, period_type, year, month, kind,
           case when kind = 'admission' then (case when code in ('DOM', 'SAN', 'MS') then code else 'INC' end)
                else (case when code in ('DC', 'HOSP', 'DOM', 'REOR') then code else 'INC' end) end, count(*)
    from ref_moves group by all
),
rows_ as (
    select b.*, 'A1-01' as code, k.breakdown, case when k.breakdown is null then coalesce(d.derogations, 0) else coalesce(d.creton, 0) end as num,
           b.persons as den,
           case when not b.has_age_bounds or (k.breakdown = 'creton' and not b.is_children) then 'not_applicable'
                when k.breakdown = 'creton' and b.family = 'classeur_xlsx' then 'not_available' end as forced
    from base b cross join (values (null), ('creton')) k(breakdown)
    left join derogation d using (finess, period_type, year, month)
    union all
    select b.*, 'A1-02', c.class_label, coalesce(n.n, 0), b.persons, null
    from base b cross join person_age_classes c
    left join classes n on n.finess = b.finess and n.period_type = b.period_type and n.year = b.year
                       and n.month = b.month and n.kind = 'age' and n.class = c.class_label
    union all
    select b.*, 'A1-03', g.gir::varchar,
           count(*) filter (where h.gir = g.gir), count(h.gir), null
    from base b cross join gir_weights g left join ref_housed h using (finess, period_type, year, month)
    group by all
    union all
    select b.*, 'A1-04', null, sum(w.weight), count(h.gir), null
    from base b left join ref_housed h using (finess, period_type, year, month)
    left join gir_weights w on w.gir = h.gir
    group by all
    union all
    select b.*, 'A1-05', null, sum(h.pathos_points), count(h.pathos_points),
           case when b.family = 'export_csv' then 'not_available' end
    from base b left join ref_housed h using (finess, period_type, year, month)
    group by all
    union all
    select b.*, k.code, 'valide', k.declared, null, case when k.declared is null then 'missing_input' end
    from base b cross join lateral (values ('A1-04', b.gmp_valide), ('A1-05', b.pmp_valide)) k(code, declared)
    union all
    select b.*, 'A1-06', k.kind || ':' || f.code, coalesce(n.n, 0), b.persons,
           case when b.category_code not in ('182', '183', '186', '188', '189', '190', '192', '194', '195', '196', '246',
                '249', '252', '253', '255', '382', '437', '445', '446', '448', '449') then 'not_applicable' end
    from base b
    cross join (values ('principale'), ('associee')) k(kind)
    join deficiencies f on (k.kind = 'principale' and f.can_be_principal) or (k.kind = 'associee' and f.can_be_associated)
    left join classes n on n.finess = b.finess and n.period_type = b.period_type and n.year = b.year
                       and n.month = b.month and n.kind = k.kind and n.class = f.code
    union all
    select b.*, 'A1-07', null, coalesce(m.duration_los, 0), coalesce(m.exits_los, 0), null
    from base b left join moves m using (finess, period_type, year, month)
    union all
    select b.*, 'A1-08', null, coalesce(n.n, 0), b.persons, null
    from base b
    left join classes n on n.finess = b.finess and n.period_type = b.period_type and n.year = b.year
                       and n.month = b.month and n.kind = 'protection'
    union all
    select b.*, 'A1-09', null, b.beneficiaires, b.places_habilitees,
           case when b.places_habilitees is null then 'not_applicable'
                when b.month <> 12 and b.month <> 0 or b.beneficiaires is null then 'missing_input' end
    from base b
    union all
    select b.*, k.code, c.code, coalesce(n.n, 0),
           coalesce(case k.kind when 'admission' then m.admissions else m.exits end, 0), null
    from base b
    cross join (values ('A1-10', 'admission'), ('A1-11', 'exit')) k(code, kind)
    join (select 'admission' as kind, code from provenances union all select 'exit', code from exit_motives) c
      on c.kind = k.kind
    left join moves m using (finess, period_type, year, month)
    left join classes n on n.finess = b.finess and n.period_type = b.period_type and n.year = b.year
                       and n.month = b.month and n.kind = k.kind and n.class = c.code
    union all
    select b.*, 'A1-12', null, d.hosp, d.covered, case when not b.has_residential then 'not_applicable' end
    from base b left join days d using (finess, period_type, year, month)
    union all
    select b.*, 'A1-13', null,
           case when b.has_actes then coalesce(a.done, 0) else d.realised end,
           case when b.has_actes then b.actes_finances * b.share else b.journees_financees * b.share end,
           case when b.category_code not in ('182', '183', '186', '188', '192', '194', '195', '196', '209', '246', '249',
                '252', '253', '255', '354', '382', '437', '445', '446', '448', '449', '500') then 'not_applicable'
                when b.family = 'classeur_xlsx' and b.has_actes then 'not_available'
                when not b.has_actes and not b.all_journees then 'missing_input' end
    from base b left join days d using (finess, period_type, year, month) left join acts a using (finess, period_type, year, month)
    union all
    select b.*, 'A1-14', null, coalesce(a.done, 0), b.actes_finances * b.share,
           case when b.category_code not in ('189', '190') then 'not_applicable'
                when b.family = 'classeur_xlsx' then 'not_available'
                when b.actes_finances is null then 'missing_input' end
    from base b left join acts a using (finess, period_type, year, month)
    union all
    select b.*, 'A1-15', g.mode_group, d.realised, c.capacity * b.share,
           case when c.mode_group is null then 'not_applicable' end
    from base b cross join (select distinct mode_group from modes where mode_group is not null) g
    left join group_days d on d.finess = b.finess and d.period_type = b.period_type and d.year = b.year
                          and d.month = b.month and d.mode_group = g.mode_group
    left join group_capacity c on c.finess = b.finess and c.year = b.year and c.mode_group = g.mode_group
    union all
    select b.*, 'A1-16', null, d.absent, coalesce(a.persons, 0),
           case when not b.has_residential then 'not_applicable' end
    from base b left join days d using (finess, period_type, year, month)
    left join absentees a using (finess, period_type, year, month)
    union all
    select b.*, 'A1-17', null, coalesce(a.programmed - a.done, 0), coalesce(a.programmed, 0),
           case when not b.has_actes then 'not_applicable' when b.family = 'classeur_xlsx' then 'not_available' end
    from base b left join acts a using (finess, period_type, year, month)
    union all
    select b.*, 'A1-18', null, b.persons + coalesce(m.exits, 0), null, null
    from base b left join moves m using (finess, period_type, year, month)
    union all
    select b.*, 'A1-19', null, coalesce(m.admissions, 0), b.places_all, null
    from base b left join moves m using (finess, period_type, year, month)
    union all
    select b.*, 'A1-20', null, (coalesce(m.admissions_no_aj, 0) + coalesce(m.exits_no_aj, 0)) / 2, b.places_no_aj, null
    from base b left join moves m using (finess, period_type, year, month)
    union all
    select b.*, 'A1-21', null, coalesce(c.n, 0), b.places_aj, case when not b.has_aj then 'not_applicable' end
    from base b left join day_care c using (finess, period_type, year, month)
)
select finess, category_code, period_type, year, nullif(month, 0) as month, code as indicator_code, breakdown,
       case when status = 'ok' then num end as numerator,
       case when status = 'ok' then den end as denominator,
       case when status = 'ok' then case when code = 'A1-18' or breakdown = 'valide' then num else num / den end end as value,
       status
from (
    select *,
           case when code in ('A1-03', 'A1-04', 'A1-05') and category_code <> '500' then 'not_applicable'
                when forced is not null then forced
                when breakdown = 'valide' then 'ok'
                when code <> 'A1-18' and (den is null or den = 0) then 'not_applicable'
                else 'ok' end as status
    from rows_
);

-- ---------------------------------------------------------------------------------------------------
-- Result
-- ---------------------------------------------------------------------------------------------------
create or replace table reference_indicator_values as
select v.finess, v.category_code, v.period_type, v.year, v.month, v.indicator_code, v.breakdown,
       v.numerator::double as numerator, v.denominator::double as denominator, v.value::double as value,
       c.unit, c.definition_version, c.confidence, v.status
from (
    select * from ref_finance
    union all by name
    select * from ref_hr
    union all by name
    select * from ref_activity
) v
left join indicator_catalogue c on c.code = v.indicator_code;
