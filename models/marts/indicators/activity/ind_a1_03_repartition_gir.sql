-- A1-03 Répartition des personnes selon le GIR (AC-08): personnes au 31/12 (AC-03, end of the period) in
-- hébergement (HP, HT; accueil de jour excluded — setting gir_scope = "all": every person) whose latest
-- GIR evaluation dated on or before that day is k / those persons with such an evaluation (a person never
-- evaluated is left out of the denominator and listed by a data test of int_a1_persons_at_period_end).
-- Breakdown = the GIR, `1` … `6`; the shares sum to 1. EHPAD (catalogue, AC-23).
with frame as (
    {{ a1_frame('A1-03') }}
),

facts as (
    select finess, period_type, year, month, person_key as unit_key, cast(gir as varchar) as class_code
    from {{ ref('int_a1_persons_at_period_end') }}
    where in_dependency_scope and gir is not null
),

classes as (
    select cast(gir as varchar) as class_code from {{ ref('gir_weights') }}
),

scored as (
    {{ a1_class_shares('classes', 'facts', available='frame.carries_dated_gir') }}
)

{{ indicator_select('A1-03', breakdown='breakdown') }}
