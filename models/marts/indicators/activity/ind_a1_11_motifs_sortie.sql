-- A1-11 Répartition des personnes sorties définitivement par motif ou destination (AC-04, AC-25, AC-27):
-- sorties définitives of the period (end of an accompagnement, every mode) by exit motive of their last
-- stay / sorties définitives of the period. Breakdown = code of the exit_motives seed (DC, HOSP, DOM,
-- REOR, INC); an empty or unmapped motive counts as INC. The shares sum to 1.
with frame as (
    {{ a1_frame('A1-11') }}
),

facts as (
    select finess, period_type, year, month, accompagnement_key as unit_key, class_code
    from {{ ref('int_a1_period_events') }}
    where event = 'sortie'
),

classes as (
    select code as class_code from {{ ref('exit_motives') }}
),

scored as (
    {{ a1_class_shares('classes', 'facts') }}
)

{{ indicator_select('A1-11', breakdown='breakdown') }}
