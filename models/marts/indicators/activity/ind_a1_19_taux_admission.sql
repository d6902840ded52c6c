-- A1-19 Taux d'admission sur les lits / places (AC-04, AC-18): admissions of the period (start of an
-- accompagnement, every mode) / places autorisées of the ESMS sheet (every mode), stored as a fraction.
-- Places are taken as they are for a shorter period (AC-19).
with frame as (
    {{ a1_frame('A1-19') }}
),

admissions as (
    select finess, period_type, year, month, count(*) as admissions
    from {{ ref('int_a1_period_events') }}
    where event = 'admission'
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(admissions.admissions, 0) as numerator,
        frame.places_autorisees as denominator,
        {{ indicator_status(
            'frame.in_scope_category',
            inputs_present='frame.places_autorisees is not null',
            denominator='frame.places_autorisees') }} as status
    from frame
    left join admissions on {{ same_period('frame', 'admissions') }}
)

{{ indicator_select('A1-19') }}
