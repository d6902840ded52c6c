{#
  Shared logic of the axis-1 indicator models (models/marts/indicators/activity/ind_a1_*).
  The common computations themselves (persons at the end of a period, admissions and sorties, day and
  act counts per period) are the int_a1_* models of models/intermediate/activity/; these macros hold
  what the indicator models repeat around them: the frame with its scope, the period join, the spread
  of a yearly sheet quantity, the share-per-class pattern and the GMP / PMP pattern.
#}

{#
  The frame of an axis-1 indicator: every ESMS of the sheet × every period of its year (esms_periods),
  plus
  - in_scope_category: the ESMS category is in the catalogue's `applicable_categories` of `code`
    (`tous` = every category), the first part of AC-23 (the sheet-based rules are in each model);
  - the activity family's capabilities (AC-21): carries_acts, carries_creton, carries_pathos,
    carries_dated_gir;
  - year_days: the calendar days of the year (365 or 366), for the AC-19 spread.
#}
{% macro a1_frame(code) %}
    select
        frame.*,
        capabilities.carries_acts,
        capabilities.carries_creton,
        capabilities.carries_pathos,
        capabilities.carries_dated_gir,
        cast(make_date(frame.year, 12, 31) - make_date(frame.year, 1, 1) + 1 as integer) as year_days
    from ({{ esms_periods(code) }}) as frame
    cross join {{ ref('int_activity_capabilities') }} as capabilities
{% endmacro %}


{#
  A yearly quantity of the ESMS sheet (journées financées, actes financés) spread over the period by
  calendar days (AC-19, setting monthly_denominators = "calendar", the only value the sheet allows);
  `frame` must come from a1_frame.
#}
{% macro a1_spread(expression, frame='frame') %}
    {#- AC-19's alternative (monthly values from the sheet) needs monthly sheet columns that do not exist -#}
    {%- do setting('monthly_denominators', ['calendar']) -%}
    ({{ expression }}) * {{ frame }}.period_days / {{ frame }}.year_days
{% endmacro %}

{# Completed years on `on_date` of a person born on `birth_date` (AC-06); null when the birth date is. #}
{% macro completed_years(birth_date, on_date) %}
    (year({{ on_date }}) - year({{ birth_date }})
        - case when month({{ on_date }}) * 100 + day({{ on_date }}) < month({{ birth_date }}) * 100 + day({{ birth_date }})
               then 1 else 0 end)
{% endmacro %}

{#
  Body of the `scored` CTE of a distribution indicator (A1-02, A1-03, A1-06, A1-10, A1-11): one row per
  frame row × class, numerator = units of the class, denominator = units of the period, value (by
  indicator_select) = the share.
  - `classes`: a relation with one column `class_code` (the codes of the nomenclature seed: the breakdown);
  - `facts`: a relation with finess, period_type, year, month, class_code, unit_key (a person or an
    event); a unit may appear in several classes (associated déficiences), the denominator counts it once;
  - applicable / available / inputs_present: SQL conditions over `frame` (AC-28).
#}
{% macro a1_class_shares(classes, facts, applicable='frame.in_scope_category', available='true', inputs_present='true') %}
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        classes.class_code as breakdown,
        coalesce(class_counts.units, 0) as numerator,
        coalesce(totals.units, 0) as denominator,
        {{ indicator_status(applicable, available, inputs_present, denominator='totals.units') }} as status
    from frame
    cross join (select class_code from {{ classes }}) as classes
    left join (
        select finess, period_type, year, month, count(distinct unit_key) as units
        from {{ facts }}
        group by all
    ) as totals
        on {{ same_period('frame', 'totals') }}
    left join (
        select finess, period_type, year, month, class_code, count(distinct unit_key) as units
        from {{ facts }}
        group by all
    ) as class_counts
        on {{ same_period('frame', 'class_counts') }}
       and class_counts.class_code = classes.class_code
{% endmacro %}

{#
  A dependency score (AC-08): the « dernier connu » value = mean over the persons in scope on the last
  day of the period (int_a1_persons_at_period_end.in_dependency_scope) of `points` (their latest dated
  evaluation), persons without one left out; and the breakdown `valide` = the value the authorities
  validated, declared in the ESMS sheet (`valide_column` of int_esms), taken as it is for every period.
  A whole model (A1-04 GMP, A1-05 PMP).
#}
{% macro a1_dependency_score(code, points, available, valide_column) %}
with frame as (
    {{ a1_frame(code) }}
),

persons as (
    select finess, period_type, year, month, person_key, {{ points }} as points
    from {{ ref('int_a1_persons_at_period_end') }}
    where in_dependency_scope and {{ points }} is not null
),

known as (
    select finess, period_type, year, month, sum(points) as points, count(distinct person_key) as persons
    from persons
    group by all
),

breakdowns as (
    select cast(null as varchar) as breakdown
    union all
    select 'valide'
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        breakdowns.breakdown,
        case when breakdowns.breakdown is null then coalesce(known.points, 0) else frame.{{ valide_column }} end
            as numerator,
        case when breakdowns.breakdown is null then coalesce(known.persons, 0) end as denominator,
        case
            when breakdowns.breakdown is null then
                {{ indicator_status('frame.in_scope_category', available, denominator='known.persons') }}
            else
                {{ indicator_status('frame.in_scope_category', inputs_present='frame.' ~ valide_column ~ ' is not null') }}
        end as status
    from frame
    cross join breakdowns
    left join known on {{ same_period('frame', 'known') }}
)

{{ indicator_select(code, value_expression='case when breakdown is null then numerator / denominator else numerator end',
                    breakdown='breakdown') }}
{% endmacro %}

{#
  Data test: the model has no row matching `condition` (a data-quality listing of AC-08 / AC-09;
  severity warn by the project default).
#}
{% test a1_no_rows_where(model, condition, column_name=none) %}
    select * from {{ model }} where {{ condition }}
{% endtest %}
