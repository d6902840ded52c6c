-- A1-06 Répartition des personnes accompagnées par type de déficience (AC-09), over the personnes au
-- 31/12 (AC-03, end of the period). Breakdown `<role>:<code>` with the codes of the deficiencies seed:
-- - `principale:<code>`: persons whose main déficience is <code>; an empty one is `principale:NR` (non
--   renseigné / aucune), an unmapped vendor code `principale:INCONNU` (AC-27); the shares sum to 1;
-- - `associee:<code>`: persons presenting <code> as an associated déficience (codes that have an
--   « associée » column, plus INCONNU); one equal to the main one, or repeated, counts once and not as
--   associated; polyhandicap and diagnostic en cours as associated are left out (a data test of
--   int_a1_persons_at_period_end lists them). These shares do not sum to 1.
-- PH categories (catalogue, AC-23).
with frame as (
    {{ a1_frame('A1-06') }}
),

persons as (
    select * from {{ ref('int_a1_persons_at_period_end') }}
),

deficiencies as (
    select code, can_be_principal, can_be_associated from {{ ref('deficiencies') }}
),

associated as (
    select distinct finess, period_type, year, month, person_key, main_deficiency, unnest(associated_deficiencies) as code
    from persons
),

facts as (
    select finess, period_type, year, month, person_key as unit_key,
           'principale:' || coalesce(main_deficiency, 'NR') as class_code
    from persons
    union all
    select associated.finess, associated.period_type, associated.year, associated.month, associated.person_key,
           'associee:' || associated.code
    from associated
    join deficiencies on deficiencies.code = associated.code and deficiencies.can_be_associated
    where associated.code is distinct from associated.main_deficiency
),

classes as (
    select 'principale:' || code as class_code from deficiencies where can_be_principal
    union all
    select 'associee:' || code from deficiencies where can_be_associated
),

scored as (
    {{ a1_class_shares('classes', 'facts') }}
)

{{ indicator_select('A1-06', breakdown='breakdown') }}
