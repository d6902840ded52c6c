{#
  Indicator codes fed by a blocking check that failed in the latest quality run (pipelines/quality/,
  tables dq_runs / dq_results): their `ok` values become failed_checks in fct_indicator_values (AC-28).
  A row '*' means every indicator. The tables are read by name, not as a dbt source: the quality run
  itself follows fct_indicator_values, so a declared dependency would make a cycle in the asset graph
  (the pipeline re-runs fct_indicator_values after each quality run). Usage:

      blocked as ({{ blocked_indicators() }})
      …
      case when status = 'ok'
            and exists (select 1 from blocked where blocked.indicator_code in (indicator_code, '*'))
           then 'failed_checks' else status end as status
#}
{% macro blocked_indicators() %}
    select distinct feeds.code as indicator_code
    from main.dq_results as results, unnest(results.feeds) as feeds(code)
    where results.run_id = (select max(run_id) from main.dq_runs)
      and results.severity = 'bloquant'
      and not results.success
{% endmacro %}
