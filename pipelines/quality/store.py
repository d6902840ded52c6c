"""Quality runs kept in the association's warehouse, history included.

- `dq_runs`: one row per run: its id (1, 2, …), times, how many checks ran and failed, and the failed
  checks per family × severity (`failed_<family>_<severity>`);
- `dq_results`: one row per check of a run (GX expectation or dbt test): family, severity, French
  description, table and column, success, failing and total rows, thresholds, up to 5 example keys (JSON),
  the indicators it feeds (`feeds`, "*" = all) and the reason when it could not be evaluated.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.quality.results import FAMILIES, SEVERITIES, CheckResult, QualityReport
from pipelines.warehouse import connect

COUNT_COLUMNS = [f"failed_{family}_{severity}" for family in FAMILIES for severity in SEVERITIES]

DQ_DDL = f"""
create table if not exists dq_runs (
    run_id        integer,
    association_id varchar,
    started_at    timestamp,
    finished_at   timestamp,
    checks        integer,
    failed        integer,
    {", ".join(f"{column} integer" for column in COUNT_COLUMNS)}
);
create table if not exists dq_results (
    run_id        integer,
    check_id      varchar,
    origin        varchar,   -- 'gx' | 'dbt'
    family        varchar,   -- conformance | completeness | plausibility
    severity      varchar,   -- bloquant | avertissement | info
    description   varchar,
    table_name    varchar,
    column_name   varchar,
    success       boolean,
    failing_rows  bigint,
    total_rows    bigint,
    threshold     varchar,   -- JSON
    examples      varchar,   -- JSON list of example keys
    feeds         varchar[], -- indicator codes, or '*'
    error         varchar
);
"""

RESULT_FIELDS = [f.name for f in dataclasses.fields(CheckResult)]


def ensure_dq_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DQ_DDL)


def save_run(warehouse: Path, report: QualityReport) -> int:
    """Append the run and its results in one transaction; returns the new run id."""
    con = connect(warehouse)
    try:
        ensure_dq_tables(con)
        con.execute("begin transaction")
        run_id = con.execute("select coalesce(max(run_id), 0) + 1 from dq_runs").fetchone()[0]
        counts = report.failed_counts()
        con.execute(
            f"insert into dq_runs values ({', '.join('?' * (6 + len(COUNT_COLUMNS)))})",
            [run_id, report.association_id, report.started_at, report.finished_at, len(report.results),
             len(report.failed), *[counts[(f, s)] for f in FAMILIES for s in SEVERITIES]],
        )
        rows = pa.Table.from_pylist([
            {"run_id": run_id, **dataclasses.asdict(r), "feeds": list(r.feeds)} for r in report.results
        ]) if report.results else None
        if rows is not None:
            con.register("_results", rows)
            con.execute("insert into dq_results by name select * from _results")
            con.unregister("_results")
        con.execute("commit")
    finally:
        con.close()
    return run_id


def marked_feeds(warehouse: Path) -> frozenset[str] | None:
    """What the blocked indicators of fct_indicator_values come from: the blocked feeds of the quality run its
    post-hook recorded (none when it was built before any run); None when no run is recorded at all (a table
    built before the post-hook existed), which the caller must take as unknown."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if not con.execute("select count(*) from information_schema.tables "
                           "where table_name = 'fct_indicator_values_quality_run'").fetchone()[0]:
            return None
        run_id = con.execute("select run_id from fct_indicator_values_quality_run").fetchone()[0]
    finally:
        con.close()
    report = load_run(warehouse, run_id) if run_id is not None else None
    return report.blocked_feeds if report else frozenset()


def load_run(warehouse: Path, run_id: int | None = None) -> QualityReport | None:
    """A stored run (the latest by default), or None when no run was stored yet."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if not con.execute("select count(*) from information_schema.tables where table_name = 'dq_runs'").fetchone()[0]:
            return None
        run = con.execute(
            "select run_id, association_id, started_at, finished_at from dq_runs "
            "where run_id = coalesce(?, (select max(run_id) from dq_runs))", [run_id],
        ).fetchone()
        if run is None:
            return None
        cursor = con.execute(
            f"select {', '.join(RESULT_FIELDS)} from dq_results where run_id = ? order by check_id", [run[0]])
        rows = [dict(zip(RESULT_FIELDS, row, strict=True)) for row in cursor.fetchall()]
        results = [CheckResult(**{**row, "feeds": tuple(row["feeds"] or ())}) for row in rows]
    finally:
        con.close()
    return QualityReport(association_id=run[1], started_at=run[2], finished_at=run[3], results=results, run_id=run[0])
