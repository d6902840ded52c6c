"""Data quality of an association's warehouse: checks as data, results as history.

- `suites.py`: the Great Expectations suites of expectations/, generated from the project's metadata
  (OHDSI Data Quality Dashboard style) and merged with the thresholds edited by hand;
- `validate.py`: each suite validated on its table, read read-only from DuckDB into pandas;
- `dbt_results.py`: the dbt data tests of the last build as checks;
- `store.py`: the runs and their results in the warehouse (dq_runs, dq_results);
- `run.py`: `run_quality(cfg)`, `blocking_failures(cfg)`;
- `asset_checks.py`: the same run as Dagster asset checks.
"""


__all__ = ["blocking_failures", "latest_report", "run_quality"]


def __getattr__(name: str):
    """Lazy exports: `python -m pipelines.quality.suites` must not import its own module first."""
    if name in __all__:
        from pipelines.quality import run

        return getattr(run, name)
    raise AttributeError(name)
