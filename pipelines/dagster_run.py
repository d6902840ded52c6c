"""Run one association's Dagster job in process (what `tdbms run` does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines import PROJECT_ROOT
from pipelines.config import AssociationConfig
from pipelines.run import run_lock

DAGSTER_YAML = """# Instance of the tdbms command line (generated).
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    tag_concurrency_limits:
      - key: "tdbms/association"
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


def dagster_home(output_root: Path | None = None) -> Path:
    home = (output_root or PROJECT_ROOT / "output") / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def _root_message(error) -> str:
    """The innermost error of a step failure (Dagster wraps the user error in its own)."""
    while error.cause is not None:
        error = error.cause
    message = error.message.strip()
    prefix, _, rest = message.partition(": ")
    return rest if error.cls_name and prefix.split(".")[-1] == error.cls_name else message


@dataclass
class JobResult:
    success: bool
    summary: str


def run_job(cfg: AssociationConfig, progress: Callable[[str], None] | None = None) -> JobResult:
    from pipelines.definitions import build_definitions

    say = progress or (lambda _m: None)
    defs = build_definitions([cfg], progress=say)
    job = defs.resolve_job_def(f"{cfg.id}_job")
    with run_lock(cfg):
        instance = dg.DagsterInstance.ephemeral()
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, tags={"tdbms/association": cfg.id},
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},  # failures: our summary
        )
    failures = [e for e in result.all_events if e.is_step_failure]
    if result.success:
        return JobResult(True, f"{len(result.get_step_success_events())} étape(s) réussie(s).")
    lines = [f"Échec de l'étape {e.step_key} : {_root_message(e.event_specific_data.error)}" for e in failures]
    return JobResult(False, "\n".join(lines) or "Échec du traitement.")
