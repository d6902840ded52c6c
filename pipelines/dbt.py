"""dbt invocations for one association: vars select its DuckDB file; target and logs are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines import PROJECT_ROOT
from pipelines.catalogue import indicator_models
from pipelines.config import AssociationConfig
from pipelines.dbt_child import PARENT_ENV
from pipelines.errors import TdbmsError
from pipelines.sources import activity_families


def dbt_vars(cfg: AssociationConfig) -> dict:
    """The association's vars: its DuckDB file, its release of the definitions (setting defaults and
    catalogue fields of that release, its own settings over them) and its local indicators (their models
    staged afresh for this invocation: call it right before each dbt invocation)."""
    from pipelines.releases import get_release
    from pipelines.settings import variant_decisions

    local = {}
    if cfg.local_indicators:
        from pipelines.local_indicators import stage_local_models

        staged = stage_local_models(cfg.local_dir / "models", cfg.output_dir / "dbt" / "local_models")
        local = {"local_indicators": list(cfg.local_indicators), "local_models_path": str(staged)}
    return {
        "association": cfg.id,
        "output_root": str(cfg.output_dir.parent),
        "indicator_models": indicator_models() + [row["model"] for row in cfg.local_indicators],
        "activity_families": activity_families(),
        "definitions_release": cfg.release,
        "catalogue_overrides": get_release(cfg.release).catalogue,
        "variant_decisions": variant_decisions(cfg.local_settings),
        "duckdb_threads": cfg.duckdb.get("threads", os.cpu_count() or 1),
        "duckdb_memory_limit": cfg.duckdb.get("memory_limit", default_memory_limit()),
        **local,
        **cfg.settings,
    }


def default_memory_limit() -> str:
    """DuckDB's own default, 80 % of the machine's memory (its SET accepts no percentage)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * 0.8) >> 20}MiB"


def parse_vars() -> dict:
    """Vars for the association-independent `dbt parse` that writes target/manifest.json at set-up."""
    return {"association": "parse", "indicator_models": indicator_models(), "activity_families": activity_families()}


def dbt_env() -> dict:
    env = dict(os.environ)
    env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "DBT_USE_COLORS": "false",
                PARENT_ENV: str(os.getpid())})
    return env


def dbt_executable() -> str:
    """dbt through `tdbms-dbt` (pipelines/dbt_child.py: killed with its parent) when installed."""
    for name in ("tdbms-dbt", "dbt"):
        if (candidate := Path(sys.executable).parent / name).exists():
            return str(candidate)
    return "dbt"


def common_args(target_path: Path, log_path: Path, variables: dict) -> list[str]:
    return [
        "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(target_path), "--log-path", str(log_path), "--vars", json.dumps(variables),
    ]


def target_dir(cfg: AssociationConfig) -> Path:
    return cfg.output_dir / "dbt" / "target"


def run_dbt(cfg: AssociationConfig, command: list[str]) -> subprocess.CompletedProcess:
    """Run `dbt <command>` for the association; a failure raises TdbmsError with dbt's own summary."""
    args = [dbt_executable(), *command, *common_args(target_dir(cfg), cfg.output_dir / "dbt" / "logs", dbt_vars(cfg))]
    result = subprocess.run(args, cwd=PROJECT_ROOT, env=dbt_env(), capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-25:])
        raise TdbmsError(f"échec de dbt {' '.join(command)} pour l'association {cfg.id} :\n{tail}")
    return result


def parse_project(target_path: Path = PROJECT_ROOT / "target") -> Path:
    """`dbt parse` at set-up so that target/manifest.json exists for dagster-dbt."""
    args = [dbt_executable(), "parse", *common_args(target_path, target_path.parent / "logs", parse_vars())]
    result = subprocess.run(args, cwd=PROJECT_ROOT, env=dbt_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise TdbmsError("échec de dbt parse :\n" + result.stdout[-3000:])
    return target_path / "manifest.json"
