"""The dbt data tests of the association's last `dbt build` as quality checks.

`<output>/dbt/target/run_results.json` gives each test's status and failing rows; the manifest written
beside it gives the test's type, model and column. Family by test type (OHDSI categories): not_null is
completeness, unique / accepted_values / relationships are conformance, any other test is plausibility.
Severity: dbt `error` is bloquant, `warn` (the project default for data tests) is avertissement. A test
of an indicator model feeds that indicator; any other test feeds every indicator. A test may say better
in its yml: `description` (French, for a director), and `config: {meta: {family: …, feeds: [...]}}`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.catalogue import load_catalogue
from pipelines.quality.results import ALL_INDICATORS, CheckResult

FAMILY_BY_TEST = {"not_null": "completeness", "unique": "conformance", "accepted_values": "conformance",
                  "relationships": "conformance"}
SEVERITY_BY_DBT = {"error": "bloquant", "warn": "avertissement"}
DESCRIPTIONS = {
    "not_null": "{model} : la colonne « {column} » est toujours renseignée.",
    "unique": "{model} : la colonne « {column} » ne contient pas de doublon.",
    "accepted_values": "{model} : la colonne « {column} » ne prend que les valeurs admises.",
    "relationships": "{model} : chaque valeur de la colonne « {column} » renvoie à une ligne existante.",
}


def _description(test: str, model: str, column: str | None, node: dict) -> str:
    if node.get("description"):
        return node["description"]
    if test in DESCRIPTIONS and column:
        return DESCRIPTIONS[test].format(model=model, column=column)
    return f"{model} : contrôle dbt « {node['name']} »."


def dbt_test_results(target: Path) -> list[CheckResult]:
    """Every data test of the last dbt build written to `target` (none when it has not run yet)."""
    run_results, manifest = target / "run_results.json", target / "manifest.json"
    if not run_results.exists() or not manifest.exists():
        return []
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    indicator_of_model = {row["model"]: row["code"] for row in load_catalogue() if row.get("model")}
    results = []
    for outcome in json.loads(run_results.read_text(encoding="utf-8"))["results"]:
        node = nodes.get(outcome["unique_id"])
        if node is None or node["resource_type"] != "test" or outcome["status"] == "skipped":
            continue
        test = (node.get("test_metadata") or {}).get("name") or node["name"]
        attached = nodes.get(node.get("attached_node") or "", {})
        model = attached.get("name") or node["name"]
        column = node.get("column_name")
        code = indicator_of_model.get(model)
        meta = node["config"].get("meta") or {}
        results.append(CheckResult(
            check_id=f"dbt.{node['name']}", origin="dbt",
            family=meta.get("family") or FAMILY_BY_TEST.get(test, "plausibility"),
            severity=SEVERITY_BY_DBT.get(node["config"].get("severity", "warn").lower(), "avertissement"),
            description=_description(test, model, column, node), table_name=model, column_name=column,
            success=outcome["status"] == "pass", failing_rows=outcome.get("failures"), total_rows=None,
            feeds=tuple(meta.get("feeds") or ((code,) if code else (ALL_INDICATORS,))),
            error=outcome.get("message") if outcome["status"] == "error" else None,
        ))
    return results
