{#
  Shared logic of the HR indicator models (models/marts/indicators/hr/: A2-01, A2-03 … A2-10), computed
  from the DSN common model (models/intermediate/hr/).
#}

{#
  The frame of an HR indicator: every ESMS of the sheet × every period of its year (esms_periods), plus
  in_scope_category (catalogue `applicable_categories` of `code`), and from int_hr_periods the DSN
  coverage of the period (covered_at_end: the month of the period's end, what a stock needs;
  covered_throughout: every month, what a flow needs) and the ETP réels moyens of the period.
#}
{% macro hr_frame(code) %}
    select
        frame.*,
        coalesce(hr.covered_at_end, false) as covered_at_end,
        coalesce(hr.covered_throughout, false) as covered_throughout,
        coalesce(hr.average_etp, 0) as average_etp
    from ({{ esms_periods(code) }}) as frame
    left join {{ ref('int_hr_periods') }} as hr
        on {{ same_period('frame', 'hr') }}
{% endmacro %}

{#
  Days that turn the ETP réels moyens into the absentéisme denominator (RH-03): 365 for a year (the
  official wording, kept in a leap year; setting `calendar` = the year's days), the period's days for a
  month or a year-to-date.
#}
{% macro hr_absence_days_basis(frame='frame') -%}
    {%- set year_days = setting('absenteeism_year_days', ['365', 'calendar']) -%}
    case when {{ frame }}.period_type = 'year' then {{ '365' if year_days == '365' else frame ~ '.period_days' }}
         else {{ frame }}.period_days end
{%- endmacro %}

{# Staff ETP (or persons) at the end of the period, per ESMS × period, filtered by `condition`. #}
{% macro hr_at_end(measure='etp', condition='true') -%}
    {%- if measure == 'etp' -%}
    coalesce(sum(staff.etp_at_end) filter (where {{ condition }}), 0)
    {%- else -%}
    count(distinct staff.individual_key) filter (where staff.active_at_end and ({{ condition }}))
    {%- endif -%}
{%- endmacro %}
