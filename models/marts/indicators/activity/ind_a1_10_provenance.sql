-- A1-10 Répartition des personnes accompagnées selon leur provenance (AC-04, AC-25, AC-27): admissions of
-- the period (start of an accompagnement, every mode, hébergement temporaire included) by provenance of
-- their first stay / admissions of the period. Breakdown = code of the provenances seed (DOM, SAN, MS,
-- INC); an empty or unmapped provenance counts as INC. The shares sum to 1.
with frame as (
    {{ a1_frame('A1-10') }}
),

facts as (
    select finess, period_type, year, month, accompagnement_key as unit_key, class_code
    from {{ ref('int_a1_period_events') }}
    where event = 'admission'
),

classes as (
    select code as class_code from {{ ref('provenances') }}
),

scored as (
    {{ a1_class_shares('classes', 'facts') }}
)

{{ indicator_select('A1-10', breakdown='breakdown') }}
