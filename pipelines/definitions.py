"""Dagster definitions: one set of assets, job, schedule and sensor per association, built by a factory.

Every asset key is prefixed with the association id and every association has its own group, so
that several associations can share one code location without sharing anything else. The folder of
association configurations is read from the TDBMS_ASSOCIATIONS environment variable (default:
associations/), the output root from TDBMS_OUTPUT (default: output/).
"""


import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext, SensorEvaluationContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines import PROJECT_ROOT
from pipelines.config import AssociationConfig, load_configs
from pipelines.dbt import dbt_env, dbt_executable, dbt_vars, parse_project, target_dir
from pipelines.ingest import ingest
from pipelines.quality.asset_checks import quality_checks
from pipelines.run import check_quality, publish, run_lock
from pipelines.sources import association_sources

ASSOCIATION_TAG = "tdbms/association"
MANIFEST_PATH = PROJECT_ROOT / "target" / "manifest.json"


def _project_files() -> list[Path]:
    files = [PROJECT_ROOT / "dbt_project.yml", PROJECT_ROOT / "pipelines" / "sources.py"]
    for folder in ("models", "macros", "seeds"):
        files += [p for p in (PROJECT_ROOT / folder).rglob("*") if p.is_file()]
    return files


def manifest_path() -> Path:
    """target/manifest.json, parsed again when the dbt project changed since it was written."""
    if not MANIFEST_PATH.exists() or max(p.stat().st_mtime for p in _project_files()) > MANIFEST_PATH.stat().st_mtime:
        parse_project()
    return MANIFEST_PATH


def raw_tables() -> list[str]:
    """Every dbt source table (raw tables, load log, configuration tables) of the manifest."""
    manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
    return sorted(source["name"] for source in manifest["sources"].values())


class AssociationTranslator(DagsterDbtTranslator):
    """dbt nodes of one association: keys under its id, its group; every dbt source is fed by the
    association's ingestion asset."""

    def __init__(self, association_id: str):
        super().__init__()
        self.association_id = association_id

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([self.association_id, "raw", dbt_resource_props["name"]])
        return dg.AssetKey([self.association_id, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return self.association_id


def sources_fingerprint(cfg: AssociationConfig) -> str:
    """Names, sizes and modification times of every source file: changes when a file arrives."""
    digest = hashlib.sha256()
    for source in association_sources(cfg):
        for path in source.files():
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def association_definitions(cfg: AssociationConfig) -> dg.Definitions:
    group = cfg.id
    tags = {ASSOCIATION_TAG: cfg.id}

    raw_specs = [
        dg.AssetSpec([cfg.id, "raw", table], group_name=group, kinds={"duckdb"},
                     description=f"Table brute {table} de {cfg.name}.")
        for table in raw_tables()
    ]

    @dg.multi_asset(
        name=f"{cfg.id}_sources", specs=raw_specs, required_resource_keys={"progress"},
        description=f"Fichiers sources de {cfg.name} chargés dans son entrepôt (lecture, pseudonymisation, rejets).",
    )
    def sources(context: AssetExecutionContext):
        with run_lock(cfg, wait=True):
            report = ingest(cfg, progress=context.resources.progress)
        for result in report.rejected_files:
            context.log.warning(result.message)
        summary = {"résumé": report.summary(), "fichiers rejetés": len(report.rejected_files),
                   "lignes rejetées": report.rejected_lines}
        for spec in raw_specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=summary)

    translator = AssociationTranslator(cfg.id)

    @dbt_assets(manifest=manifest_path(), name=f"{cfg.id}_dbt", dagster_dbt_translator=translator)
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        args = ["build", "--vars", json.dumps(dbt_vars(cfg)),
                "--log-path", str(cfg.output_dir / "dbt" / "logs")]
        with run_lock(cfg, wait=True):
            invocation = dbt.cli(args, context=context, target_path=target_dir(cfg))
            shared = invocation.manifest["nodes"]
            for event in invocation.stream_raw_events():
                # The association's local indicators (pipelines/local_indicators.py) are built by dbt but are
                # not assets of the shared manifest: their events are not turned into Dagster events.
                node = event.raw_event["data"].get("node_info", {}).get("unique_id")
                if node is None or node in shared:
                    yield from event.to_default_asset_events(
                        manifest=invocation.manifest, dagster_dbt_translator=invocation.dagster_dbt_translator,
                        context=context, target_path=invocation.target_path, project=invocation.project)

    quality_key = dg.AssetKey([cfg.id, "quality_run"])

    @dg.asset(
        key=quality_key, group_name=group, deps=[dg.AssetKey([cfg.id, "fct_indicator_values"])],
        description=f"Contrôles qualité de {cfg.name} (suites Great Expectations, tests dbt), résultats "
                    "historisés dans dq_runs / dq_results ; les indicateurs nourris par un contrôle bloquant en "
                    "échec passent au statut failed_checks.",
        kinds={"python", "duckdb"},
    )
    def quality_run(context: AssetExecutionContext) -> dg.MaterializeResult:
        report = check_quality(cfg)
        return dg.MaterializeResult(metadata={
            "contrôles": len(report.results), "en échec": len(report.failed), "bloquants en échec": len(report.blocking),
        })

    @dg.asset(
        key=[cfg.id, "dashboards"], group_name=group, deps=[quality_key],
        description=f"Tableaux de bord de {cfg.name} : site statique sans accès réseau.", kinds={"html"},
    )
    def dashboards(context: AssetExecutionContext) -> dg.MaterializeResult:
        home = publish(cfg)
        return dg.MaterializeResult(metadata={"accueil": dg.MetadataValue.path(str(home))})

    job = dg.define_asset_job(
        f"{cfg.id}_job", selection=dg.AssetSelection.groups(group), tags=tags,
        executor_def=dg.in_process_executor,
        description=f"Chargement des sources et calcul des indicateurs de {cfg.name}.",
    )
    schedule = dg.ScheduleDefinition(
        name=f"{cfg.id}_nightly", job=job, cron_schedule="0 2 * * *", execution_timezone="Europe/Paris",
    )

    @dg.sensor(name=f"{cfg.id}_new_sources", job=job, minimum_interval_seconds=300,
               description="Lance un traitement quand de nouveaux fichiers sources apparaissent.")
    def new_sources(context: SensorEvaluationContext):
        fingerprint = sources_fingerprint(cfg)
        if fingerprint == context.cursor:
            return dg.SkipReason("aucun nouveau fichier source")
        context.update_cursor(fingerprint)
        return dg.RunRequest(run_key=fingerprint, tags=tags)

    return dg.Definitions(
        assets=[sources, dbt_models, quality_run, dashboards], asset_checks=[quality_checks(cfg, quality_key, manifest_path())],
        jobs=[job], schedules=[schedule], sensors=[new_sources],
    )


def no_progress(_message: str) -> None:
    return None


def build_definitions(configs: list[AssociationConfig], progress: Callable[[str], None] = no_progress) -> dg.Definitions:
    dbt = DbtCliResource(project_dir=str(PROJECT_ROOT), profiles_dir=str(PROJECT_ROOT), dbt_executable=dbt_executable())
    os.environ.update({k: v for k, v in dbt_env().items() if k.startswith(("DBT_", "DO_NOT"))})
    return dg.Definitions.merge(
        *[association_definitions(cfg) for cfg in configs],
        dg.Definitions(resources={"dbt": dbt, "progress": dg.ResourceDefinition.hardcoded_resource(progress)}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Entry point of `dagster dev -m pipelines.definitions` and of the code servers."""
    folder = Path(os.environ.get("TDBMS_ASSOCIATIONS", PROJECT_ROOT / "associations"))
    output = os.environ.get("TDBMS_OUTPUT")
    return build_definitions(load_configs(folder, Path(output) if output else None))
