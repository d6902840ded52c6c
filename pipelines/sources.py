"""Which reader reads which folder of an association: the one table of sources of the pipeline."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pipelines.config import AssociationConfig

ACTIVITY_READER_MODULES = {
    "pivot": "pipelines.readers.pivot",
    "export_csv": "pipelines.readers.export_csv",
    "classeur_xlsx": "pipelines.readers.classeur_xlsx",
    "base_sqlite": "pipelines.readers.base_sqlite",
}
OTHER_READER_MODULES = {
    "dsn": "pipelines.readers.dsn",
    "fec": "pipelines.readers.fec",
    "esms_sheet": "pipelines.readers.esms_sheet",
}


def reader(kind: str) -> ModuleType:
    module = ACTIVITY_READER_MODULES.get(kind) or OTHER_READER_MODULES[kind]
    return importlib.import_module(module)


def available_readers() -> dict[str, ModuleType]:
    """Every reader module present in this installation (all their raw tables exist in every warehouse,
    so that the staging models of every vendor compile, empty when the association does not use it)."""
    found = {}
    for kind in [*ACTIVITY_READER_MODULES, *OTHER_READER_MODULES]:
        try:
            found[kind] = reader(kind)
        except ModuleNotFoundError:
            continue
    return found


def activity_families() -> list[str]:
    """Activity families installed (reader present): their staging models make the common model."""
    return [kind for kind in ACTIVITY_READER_MODULES if kind in available_readers()]


@dataclass(frozen=True)
class Source:
    """One source of an association: a domain name (French, for messages), its reader and its folder."""

    domain: str  # 'activity' | 'dsn' | 'fec' | 'esms_sheet'
    label: str
    kind: str
    path: Path

    @property
    def reader(self) -> ModuleType:
        return reader(self.kind)

    def files(self) -> list[Path]:
        return self.reader.discover(self.path)


def association_sources(cfg: AssociationConfig) -> list[Source]:
    sources = [
        Source("esms_sheet", "fiche ESMS", "esms_sheet", cfg.esms_sheet_path),
        Source("activity", f"activité ({cfg.activity_family})", cfg.activity_family, cfg.activity_path),
    ]
    if cfg.dsn_path:
        sources.append(Source("dsn", "DSN", "dsn", cfg.dsn_path))
    if cfg.fec_path:
        sources.append(Source("fec", "FEC", "fec", cfg.fec_path))
    return sources
