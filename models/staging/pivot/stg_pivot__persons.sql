with persons as (
    {{ latest_delivery(source('pivot', 'raw_pivot_persons'), ['person_key']) }}
),

associated as (
    {{ decode_list('pivot__codes', 'deficiency', 'persons', 'person_key', 'associated_deficiencies', '|') }}
)

select
    person_key,
    sex,
    birth_date,
    {{ decode('pivot__codes', 'deficiency', 'main_deficiency') }} as main_deficiency,
    coalesce(associated.codes, []) as associated_deficiencies,
    protection,
    mdph_orientation,
    current_gir,
    _file_hash,
    _line
from persons
left join associated using (person_key)
