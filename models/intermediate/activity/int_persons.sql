-- Persons accompanied (pseudonymous key), current attributes of the latest delivery (AC-10).
with persons as (
    {{ union_activity_families('persons') }}
)

select
    person_key,
    source_family,
    sex,
    birth_date,
    main_deficiency,
    associated_deficiencies,
    protection,
    mdph_orientation,
    current_gir,
    _file_hash,
    _line
from persons
