"""Ingestion of an association's sources into its warehouse (readers → raw tables), idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from pipelines.config import AssociationConfig
from pipelines.memory import release_memory
from pipelines.pseudonymise import Pseudonymiser, load_or_create_secret
from pipelines.quality.store import ensure_dq_tables
from pipelines.readers.base import ReadContext
from pipelines.sources import Source, association_sources, available_readers
from pipelines.warehouse import LoadResult, connect, ensure_tables, load_files

Progress = Callable[[str], None]


@dataclass
class IngestReport:
    results: list[LoadResult] = field(default_factory=list)

    @property
    def rejected_files(self) -> list[LoadResult]:
        return [r for r in self.results if r.status == "rejete"]

    @property
    def rejected_lines(self) -> int:
        return sum(r.rows_rejected for r in self.results if r.status == "charge")

    def summary(self) -> str:
        loaded = [r for r in self.results if r.status == "charge"]
        skipped = [r for r in self.results if r.status == "deja_charge"]
        text = (
            f"{len(loaded)} fichier(s) chargé(s) ({sum(r.rows_loaded for r in loaded)} lignes), "
            f"{len(skipped)} déjà chargé(s), {len(self.rejected_files)} rejeté(s), "
            f"{self.rejected_lines} ligne(s) rejetée(s)"
        )
        return text


def _pairs(mapping: dict[str, str], key: str, value: str) -> pa.Table:
    """A mapping of the configuration as a two-column table (typed even when empty)."""
    return pa.table({key: list(mapping), value: list(mapping.values())},
                    schema=pa.schema([(key, pa.string()), (value, pa.string())]))


def prepare_warehouse(con: duckdb.DuckDBPyConnection, cfg: AssociationConfig) -> None:
    """Raw tables of every installed reader, and the association's mappings from its configuration."""
    for module in available_readers().values():
        ensure_tables(con, module.TABLES)
    ensure_dq_tables(con)
    mappings = {
        "cfg_dsn_establishments": _pairs(cfg.dsn_establishments, "siret", "finess"),
        "cfg_fec_dossiers": _pairs(cfg.fec_dossiers, "dossier", "finess"),
        "cfg_fec_sections": _pairs(cfg.fec_sections, "section", "account_pattern"),
        "cfg_association": pa.table(
            {"association_id": [cfg.id], "name": [cfg.name], "activity_family": [cfg.activity_family]}
        ),
    }
    for name, table in mappings.items():
        con.register("_mapping", table)
        con.execute(f"create or replace table {name} as select * from _mapping")
        con.unregister("_mapping")


def ingest_source(
    con: duckdb.DuckDBPyConnection, source: Source, pseudonymiser: Pseudonymiser, progress: Progress | None = None
) -> list[LoadResult]:
    context = ReadContext(pseudonymiser=pseudonymiser)
    say = (lambda path: progress(f"{source.label} : {path.name}")) if progress else None
    results = load_files(con, source.reader, source.files(), context, say)
    for result in results:
        if progress and result.status == "deja_charge" and result.message:
            progress(f"Copie ignorée : {result.message}")
    return results


def ingest(cfg: AssociationConfig, domains: set[str] | None = None, progress: Progress | None = None) -> IngestReport:
    """Load every source file of the association (or only the given domains) into its warehouse."""
    pseudonymiser = Pseudonymiser(load_or_create_secret(cfg.secret_path))
    report = IngestReport()
    con = connect(cfg.warehouse_path, config=cfg.duckdb)
    try:
        prepare_warehouse(con, cfg)
        for source in association_sources(cfg):
            if domains is None or source.domain in domains:
                report.results.extend(ingest_source(con, source, pseudonymiser, progress))
    finally:
        con.close()
        release_memory()
    return report
