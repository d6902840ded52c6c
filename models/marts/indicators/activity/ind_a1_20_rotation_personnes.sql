-- A1-20 Taux de rotation des personnes accompagnées (AC-18, AC-25): ((admissions + sorties définitives of
-- the period) / 2) / places autorisées, accueil de jour excluded from both sides (admissions by the mode
-- of the first stay, sorties by the mode of the last; the sheet's AJ rows). Setting rotation_method =
-- "exits": sorties définitives / places. Stored as a fraction; places taken as they are (AC-19).
{%- set method = setting('rotation_method', ['mean', 'exits']) %}
with frame as (
    {{ a1_frame('A1-20') }}
),

places as (
    select finess, year, sum(places_autorisees) as places, bool_and(places_autorisees is not null) as places_present
    from {{ ref('int_esms_modes') }}
    where mode <> 'AJ'
    group by all
),

events as (
    select
        finess,
        period_type,
        year,
        month,
        count(*) filter (where event = 'admission') as admissions,
        count(*) filter (where event = 'sortie') as exits
    from {{ ref('int_a1_period_events') }}
    where mode <> 'AJ'
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        {% if method == 'exits' -%}
        coalesce(events.exits, 0)
        {%- else -%}
        (coalesce(events.admissions, 0) + coalesce(events.exits, 0)) / 2
        {%- endif %} as numerator,
        places.places as denominator,
        {{ indicator_status(
            'frame.in_scope_category',
            inputs_present='coalesce(places.places_present, true)',
            denominator='places.places') }} as status
    from frame
    left join places on places.finess = frame.finess and places.year = frame.year
    left join events on {{ same_period('frame', 'events') }}
)

{{ indicator_select('A1-20') }}
