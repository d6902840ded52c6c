"""The quality run as Dagster asset checks: one check per suite, on the asset of the suite's table
(`[id, "raw", table]` for a dbt source, `[id, table]` for a model or seed: the key scheme of
pipelines/definitions.py). The association's quality asset runs `run_quality`; one multi-asset check,
after it, reports every suite of that stored run; a suite with a failed blocking check is an ERROR, any
other failure a WARN."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg

from pipelines import PROJECT_ROOT
from pipelines.config import AssociationConfig
from pipelines.quality.results import BLOCKING, FAMILY_LABELS, CheckResult
from pipelines.quality.run import latest_report
from pipelines.quality.suites import EXPECTATIONS_DIR, load_suites

MANIFEST = PROJECT_ROOT / "target" / "manifest.json"


def suite_assets(cfg: AssociationConfig, manifest: Path = MANIFEST,
                 expectations: Path = EXPECTATIONS_DIR) -> dict[str, tuple[dg.AssetKey, set[str]]]:
    """suite name → (asset key of its table, its check ids), for the suites whose table is an asset of
    the dbt project (a raw table without a dbt source is checked by run_quality, not shown in Dagster)."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))
    sources = {source["name"] for source in nodes["sources"].values()}
    models = {node["name"] for node in nodes["nodes"].values() if node["resource_type"] in ("model", "seed")}
    assets = {}
    for suite in load_suites(expectations):
        table = suite["meta"]["table"]
        check_ids = {e["meta"]["check_id"] for e in suite["expectations"]}
        if table in sources:
            assets[suite["name"]] = (dg.AssetKey([cfg.id, "raw", table]), check_ids)
        elif table in models:
            assets[suite["name"]] = (dg.AssetKey([cfg.id, table]), check_ids)
    return assets


def check_name(suite_name: str) -> str:
    return "qualite_" + re.sub(r"\W", "_", suite_name)


def _metadata(results: list[CheckResult], docs: Path | None) -> dict:
    failed = [r for r in results if not r.success]
    metadata = {
        "contrôles": len(results),
        "en échec": len(failed),
        "bloquants en échec": sum(r.severity == BLOCKING for r in failed),
        "détail": dg.MetadataValue.md("\n".join(
            f"- **{r.severity}** ({FAMILY_LABELS[r.family]}) {r.description} — "
            f"{r.failing_rows if r.failing_rows is not None else '?'} ligne(s) en échec" for r in failed
        ) or "Aucun contrôle en échec."),
    }
    if docs is not None:
        metadata["rapport Great Expectations"] = dg.MetadataValue.path(str(docs))
    return metadata


def quality_checks(cfg: AssociationConfig, quality_run: dg.AssetKey, manifest: Path = MANIFEST) -> dg.AssetChecksDefinition:
    """The association's quality checks, read from the run stored by the asset `quality_run`."""
    assets = suite_assets(cfg, manifest)
    specs = [
        dg.AssetCheckSpec(check_name(name), asset=key, additional_deps=[quality_run],
                          description=f"Contrôles qualité de la suite {name}.")
        for name, (key, _) in assets.items()
    ]

    @dg.multi_asset_check(name=f"{cfg.id}_quality", specs=specs,
                          description=f"Contrôles qualité (Great Expectations et tests dbt) de {cfg.name}.")
    def quality(context):
        report = latest_report(cfg)
        context.log.info(f"contrôles qualité : {len(report.results)} dont {len(report.failed)} en échec "
                         f"({len(report.blocking)} bloquants)")
        for name, (key, check_ids) in assets.items():
            results = [r for r in report.results if r.origin == "gx" and r.check_id in check_ids]
            yield dg.AssetCheckResult(
                asset_key=key, check_name=check_name(name), passed=all(r.success for r in results),
                severity=dg.AssetCheckSeverity.ERROR if any(r.is_blocking_failure for r in results)
                else dg.AssetCheckSeverity.WARN,
                metadata=_metadata(results, report.docs_path),
            )

    return quality
