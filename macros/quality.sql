{#
  Indicator codes fed by a blocking check that failed in the latest quality run (pipelines/quality/,
  tables dq_runs / dq_results): their `ok` values become failed_checks in fct_indicator_values (AC-28).
  A row '*' means every indicator. The tables are read by name, not as a dbt source: the quality run
  itself follows fct_indicator_values, so a declared dependency would make a cycle in the asset graph
  (the pipeline re-runs fct_indicator_values after a quality run that blocks other indicators). Usage:

      blocked as ({{ blocked_indicators() }})
      …
      case when status = 'ok'
            and exists (select 1 from blocked where blocked.indicator_code in (indicator_code, '*'))
           then 'failed_checks' else status end as status
#}
{% macro blocked_indicators() %}
    select distinct feeds.code as indicator_code
    from main.dq_results as results, unnest(results.feeds) as feeds(code)
    where results.run_id = {{ latest_quality_run() }}
      and results.severity = 'bloquant'
      and not results.success
{% endmacro %}

{#
  The latest stored quality run (null before the first). fct_indicator_values records, in the table
  fct_indicator_values_quality_run, the run it marked: the pipeline rebuilds it after a quality run only when
  the new run blocks other indicators than that one (pipelines/run.py check_quality).
#}
{% macro latest_quality_run() %}(select max(run_id) from main.dq_runs){% endmacro %}
