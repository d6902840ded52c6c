-- A1-18 File active des personnes accompagnées sur la période (AC-05, official formula): personnes
-- au 31/12 (AC-03, end of the period) + sorties définitives of the period (AC-04). The setting
-- file_active_method = "distinct_persons" counts the distinct persons accompanied in the period instead.
with frame as (
    {{ esms_periods() }}
),

accompagnements as (
    select * from {{ ref('int_accompagnements') }}
),

counted as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        count(distinct acc.person_key) filter (
            where acc.start_date <= frame.period_end and coalesce(acc.end_date, date '9999-12-31') > frame.period_end
        ) as persons_at_end,
        count(*) filter (where acc.end_date between frame.period_start and frame.period_end) as definitive_exits,
        count(distinct acc.person_key) filter (
            where acc.start_date <= frame.period_end and coalesce(acc.end_date, date '9999-12-31') > frame.period_start
        ) as distinct_persons
    from frame
    left join accompagnements as acc on acc.finess = frame.finess
    group by all
),

scored as (
    select
        *,
        {% if var('file_active_method') == 'distinct_persons' %}
        distinct_persons as numerator,
        {% else %}
        persons_at_end + definitive_exits as numerator,
        {% endif %}
        cast(null as double) as denominator,
        {{ indicator_status() }} as status
    from counted
)

{{ indicator_select('A1-18', value_expression='numerator') }}
