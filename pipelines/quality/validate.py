"""Validate the suites of expectations/ with Great Expectations on the association's warehouse.

Each suite's table is read READ-ONLY from DuckDB into pandas — only the columns its checks, row
conditions and example keys need — and validated as a pandas batch (the SQL datasource over
duckdb-engine is broken in GX 1.24.1). An absent or empty table is skipped. The GX data docs of the run
are written to the given folder (they load their styles and scripts from public CDNs: opening them
offline shows unstyled but complete pages).

Cost at scale: GX gets only the checked and row-condition columns, the latter as categoricals (a row
condition is re-applied to the whole frame for each metric of each expectation: comparing category codes
and filtering fewer columns is what keeps fct_indicator_values cheap). GX reports the index labels of the
first unexpected rows and the examples' keys are looked up here: asked for key columns
(`unexpected_index_column_names`), GX 1.24.1 reads them cell by cell for EVERY unexpected row before
keeping the first 20, a Python loop that grows with the failures (dq_indicator_jumps). Tables are read
through Arrow (see read_table) and each suite's batch is dropped from GX once validated: one table at a
time in memory.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.quality.results import CheckResult
from pipelines.quality.suites import TUNABLE_KWARGS

MAX_EXAMPLES = 5
NULLABLE_DTYPES = {pa.bool_(): pd.BooleanDtype(), **{
    getattr(pa, f"{sign}int{bits}")(): pd.api.types.pandas_dtype(f"{sign.upper()}Int{bits}")
    for sign in ("", "u") for bits in (8, 16, 32, 64)}}
GX_SEVERITIES = {"bloquant": "critical", "avertissement": "warning", "info": "info"}
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
STRING_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")


def _great_expectations():
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before the first import: no usage statistics
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def condition_columns(suite: dict) -> set[str]:
    """Names used by the row conditions of the suite (columns, and words such as `and`; not the quoted values)."""
    conditions = (STRING_LITERAL.sub("", e["kwargs"].get("row_condition") or "") for e in suite["expectations"])
    return {name for condition in conditions for name in IDENTIFIER.findall(condition)}


def checked_columns(suite: dict) -> set[str]:
    """Columns GX reads: the checked columns and those of the row conditions."""
    return {e["kwargs"].get("column") for e in suite["expectations"]} | condition_columns(suite)


def needed_columns(suite: dict, table_columns: list[str]) -> list[str]:
    """Columns of the table used by the suite: checked columns, row conditions and example keys."""
    wanted = checked_columns(suite) | set(suite["meta"].get("key_columns", []))
    return [c for c in table_columns if c in wanted]


def gx_frame(suite: dict, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns GX reads, the row-condition columns that are not checked themselves as categoricals
    (same rows selected; index labels kept for the examples, `frame` having the row numbers as labels).
    The labels are stored in the smallest integer type: DataFrame.query copies the index twice per call
    and GX calls it for every metric of an expectation with a row condition."""
    checked = checked_columns(suite)
    conditions = condition_columns(suite) - {e["kwargs"].get("column") for e in suite["expectations"]}
    data = frame[[c for c in frame.columns if c in checked]]
    data = data.set_axis(data.index.astype(np.min_scalar_type(len(data))))
    return data.astype({c: "category" for c in data.columns if c in conditions})


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def read_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pd.DataFrame:
    """The columns of the table, through Arrow (DuckDB's own `.df()` makes a Python object of every string
    before pandas stores them as Arrow strings: five times the CPU and three times the frame's size in
    passing), with the dtypes `.df()` gives: decimals as float64, integers and booleans nullable only when
    a value is missing, a column without any value (every column of an empty table) as DuckDB gives it
    (text: None objects); then dates as datetime.date, which GX compares with its date bounds."""
    types = {d[0]: str(d[1]) for d in con.execute(f'select {_quoted(columns)} from "{table}" limit 0').description}
    selected = ", ".join(f'cast("{c}" as double) as "{c}"' if types[c].startswith("DECIMAL") else f'"{c}"'
                         for c in columns)  # DuckDB's conversion to double, not Arrow's (a last digit apart)
    data = con.execute(f'select {selected} from "{table}"').to_arrow_table()
    frame = data.to_pandas(date_as_object=False)
    for name in data.column_names:
        if data.column(name).null_count and data.column(name).type in NULLABLE_DTYPES:
            frame[name] = data.column(name).to_pandas(types_mapper=NULLABLE_DTYPES.get)
    empty = [name for name in data.column_names if data.column(name).null_count == data.num_rows]
    if empty:
        frame[empty] = con.execute(f'select {_quoted(empty)} from "{table}"').df()
    for column in frame.select_dtypes(include="datetime").columns:
        frame[column] = _dates(frame[column])
    return frame


def _dates(column: pd.Series) -> pd.Series:
    """`column.dt.date` with one datetime.date object per distinct day instead of one per row (a million
    rows of FEC hold a few thousand days); NaT stays NaT."""
    codes, days = pd.factorize(column)
    objects = np.append(days.date, pd.NaT)  # code -1 (NaT) takes the last one
    return pd.Series(objects[codes], index=column.index, name=column.name)  # dtype inferred, as .dt.date


def _plain(value):
    """A JSON-ready value (numpy scalars, missing values, dates)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _exception_message(info: dict | None) -> str | None:
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info["raised_exception"] else None
    messages = [_exception_message(nested) for nested in info.values() if isinstance(nested, dict)]
    return next((m for m in messages if m), None)


def check_result(suite: dict, expectation: dict, *, success: bool, result: dict | None = None,
                 frame: pd.DataFrame | None = None, keys: Sequence[str] = (), error: str | None = None) -> CheckResult:
    """One expectation of a suite and its outcome → CheckResult (examples: the key columns of the first
    unexpected rows of `frame`, whose index labels GX reports, never a checked value; thresholds as written
    in the suite)."""
    meta, kwargs, result = expectation["meta"], expectation["kwargs"], result or {}
    labels = (result.get("partial_unexpected_index_list") or [])[:MAX_EXAMPLES] if keys else []
    examples = [{k: _plain(frame.at[label, k]) for k in keys} for label in labels]
    thresholds = {k: kwargs[k] for k in TUNABLE_KWARGS if kwargs.get(k) is not None}
    return CheckResult(
        check_id=meta["check_id"], origin="gx", family=meta["family"], severity=meta["severity"],
        description=meta["description"], table_name=suite["meta"]["table"], column_name=kwargs.get("column"),
        success=success, failing_rows=result.get("unexpected_count"), total_rows=result.get("element_count"),
        threshold=json.dumps(thresholds) if thresholds else None,
        examples=json.dumps(examples, ensure_ascii=False) if examples else None, feeds=tuple(meta.get("feeds", ())),
        error=error,
    )


class Validator:
    """One ephemeral GX context per run: a pandas datasource, one asset and checkpoint per suite."""

    def __init__(self, docs_dir: Path):
        self.gx = _great_expectations()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = self.gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_dir = docs_dir
        shutil.rmtree(docs_dir, ignore_errors=True)  # the docs show the latest run; history is in dq_results
        self.context.add_data_docs_site(site_name="tdbms", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        self.datasource = self.context.data_sources.add_pandas("entrepot")

    def _suite(self, suite: dict):
        expectations = [
            {**e, "description": e["meta"]["description"], "severity": GX_SEVERITIES[e["meta"]["severity"]]}
            for e in suite["expectations"]
        ]
        return self.context.suites.add(self.gx.ExpectationSuite(
            name=suite["name"], meta=suite.get("meta", {}), expectations=expectations))

    def validate(self, suite: dict, frame: pd.DataFrame) -> list[CheckResult]:
        """Every expectation of the suite on the frame; a suite GX cannot run gives failed checks with the
        reason (a renamed column, a malformed suite) instead of stopping the run."""
        keys = [k for k in suite["meta"].get("key_columns", []) if k in frame.columns]
        try:
            batch = self.datasource.add_dataframe_asset(suite["name"]).add_batch_definition_whole_dataframe("table")
            definition = self.context.validation_definitions.add(
                self.gx.ValidationDefinition(name=suite["name"], data=batch, suite=self._suite(suite)))
            checkpoint = self.context.checkpoints.add(self.gx.Checkpoint(
                name=suite["name"], validation_definitions=[definition], actions=[],
                result_format={"result_format": "SUMMARY"},  # unexpected rows as index labels of `frame`
            ))
            run = checkpoint.run(batch_parameters={"dataframe": gx_frame(suite, frame)})
        except Exception as exc:  # reported as the checks' error, the other suites still run
            return [check_result(suite, e, success=False, error=f"suite inutilisable : {exc}")
                    for e in suite["expectations"]]
        finally:
            self._release_batches()
        outcomes = {r.expectation_config.meta["check_id"]: r for o in run.run_results.values() for r in o.results}
        results = []
        for expectation in suite["expectations"]:
            outcome = outcomes.get(expectation["meta"]["check_id"])
            if outcome is None:  # GX drops an expectation it cannot build (and logs why)
                results.append(check_result(suite, expectation, success=False, error=(
                    f"contrôle ignoré par Great Expectations (type « {expectation['type']} » inconnu ou paramètres "
                    "invalides)")))
            else:
                results.append(check_result(suite, expectation, success=bool(outcome.success), result=outcome.result,
                                            frame=frame, keys=keys, error=_exception_message(outcome.exception_info)))
        return results

    def _release_batches(self) -> None:
        """GX's execution engine keeps the data of every batch it loaded for as long as the context lives:
        dropped after each suite, so that one table at a time is in memory, not all of them."""
        batches = self.datasource.get_execution_engine().batch_manager
        batches.batch_data_cache.clear()
        batches.reset_batch_cache()

    def build_docs(self) -> Path:
        self.context.build_data_docs()
        return self.docs_dir / "index.html"


def validate_suites(warehouse: Path, suites: list[dict], docs_dir: Path) -> tuple[list[CheckResult], list[str], Path]:
    """Validate every suite on its table; returns the results, the tables skipped and the data docs index."""
    validator = Validator(docs_dir)
    results, skipped = [], []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = dict(con.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema = 'main' group by table_name").fetchall())
        for suite in suites:
            table = suite["meta"]["table"]
            if table not in tables or not con.execute(f'select exists (from "{table}")').fetchone()[0]:
                skipped.append(table)
                continue
            frame = read_table(con, table, needed_columns(suite, tables[table]))
            results += validator.validate(suite, frame)
    finally:
        con.close()
    return results, skipped, validator.build_docs()
