"""One run of an association's pipeline outside Dagster's UI: ingest its sources, then dbt build.

Dagster assets call the same functions (pipelines/definitions.py); this module also holds the run lock
that keeps two runs of one association from overlapping (DuckDB allows one writer per file).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipelines.config import AssociationConfig
from pipelines.dbt import run_dbt
from pipelines.errors import TdbmsError
from pipelines.ingest import IngestReport, ingest
from pipelines.memory import release_memory

Progress = Callable[[str], None]


_HELD: set = set()  # lock files held by this process: the lock is re-entrant within a process


@contextmanager
def run_lock(cfg: AssociationConfig, wait: bool = False) -> Iterator[None]:
    """Exclusive lock of the association's output folder for the duration of a run."""
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    if cfg.output_dir in _HELD:
        yield
        return
    path = cfg.output_dir / ".run.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "inconnu"
            raise TdbmsError(
                f"un traitement de l'association {cfg.id} est déjà en cours (processus {holder}) : "
                "attendez qu'il se termine avant d'en lancer un autre."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        _HELD.add(cfg.output_dir)
        try:
            yield
        finally:
            _HELD.discard(cfg.output_dir)
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def transform(cfg: AssociationConfig) -> None:
    """Seeds, models and data tests of the shared dbt project on the association's warehouse."""
    run_dbt(cfg, ["build"])


def check_quality(cfg: AssociationConfig):
    """The quality run (GX suites + dbt tests, stored in dq_runs/dq_results), then fct_indicator_values
    again so that the indicators fed by a failed blocking check get the status failed_checks: only when the
    new run blocks other indicators than the run fct_indicator_values was marked with (otherwise nothing
    would change)."""
    from pipelines.quality import run_quality
    from pipelines.quality.store import marked_feeds

    with run_lock(cfg, wait=True):
        report = run_quality(cfg)
        release_memory()
        if marked_feeds(cfg.warehouse_path) != report.blocked_feeds:  # None (unknown) rebuilds too
            # --no-write-json: the build's run_results.json stays the one a later quality run reads its dbt
            # tests from
            run_dbt(cfg, ["run", "--select", "fct_indicator_values", "--no-write-json"])
    return report


def publish(cfg: AssociationConfig):
    """The association's static dashboards (built from the warehouse, read only)."""
    from pipelines.dashboards import build_site

    return build_site(cfg)


def run_association(cfg: AssociationConfig, progress: Progress | None = None, quality: bool = True,
                    dashboards: bool = True) -> IngestReport:
    """Ingest, transform, check the quality and publish the dashboards, under the run lock."""
    say = progress or (lambda _message: None)
    with run_lock(cfg):
        say("lecture des sources")
        report = ingest(cfg, progress=say)
        say("calcul des indicateurs (dbt build)")
        transform(cfg)
        if quality:
            say("contrôles qualité")
            check_quality(cfg)
        if dashboards:
            say("tableaux de bord")
            publish(cfg)
    return report
