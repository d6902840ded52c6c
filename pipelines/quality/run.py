"""One quality run of an association: GX suites + dbt data tests, stored with history in its warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.catalogue import load_catalogue
from pipelines.config import AssociationConfig
from pipelines.dbt import target_dir
from pipelines.errors import TdbmsError
from pipelines.quality.dbt_results import dbt_test_results
from pipelines.quality.results import QualityReport
from pipelines.quality.store import load_run, save_run
from pipelines.quality.suites import EXPECTATIONS_DIR, load_suites
from pipelines.quality.validate import validate_suites
from pipelines.run import run_lock


def docs_dir(cfg: AssociationConfig) -> Path:
    return cfg.output_dir / "gx_docs"


def run_quality(cfg: AssociationConfig, expectations: Path = EXPECTATIONS_DIR) -> QualityReport:
    """Validate every suite of `expectations` on the association's warehouse, add the results of its last
    dbt build's data tests, store the run (dq_runs, dq_results) and build its GX data docs."""
    if not cfg.warehouse_path.exists():
        raise TdbmsError(f"l'entrepôt de l'association {cfg.id} n'existe pas encore : lancez d'abord « tdbms run {cfg.id} ».")
    with run_lock(cfg, wait=True):
        started = dt.datetime.now()
        results, skipped, docs = validate_suites(cfg.warehouse_path, load_suites(expectations), docs_dir(cfg))
        results += dbt_test_results(target_dir(cfg))
        report = QualityReport(association_id=cfg.id, started_at=started, finished_at=dt.datetime.now(),
                               results=results, skipped_tables=skipped, docs_path=docs)
        report.run_id = save_run(cfg.warehouse_path, report)
    return report


def latest_report(cfg: AssociationConfig) -> QualityReport | None:
    """The latest stored run of the association (None before the first run)."""
    if not cfg.warehouse_path.exists():
        return None
    report = load_run(cfg.warehouse_path)
    if report is not None and (docs_dir(cfg) / "index.html").exists():
        report.docs_path = docs_dir(cfg) / "index.html"
    return report


def blocking_failures(cfg: AssociationConfig) -> list[str]:
    """Indicator codes fed by a blocking check that failed in the latest run: their status becomes
    failed_checks (AC-28)."""
    report = latest_report(cfg)
    return report.blocked_indicators([row["code"] for row in load_catalogue()]) if report else []
