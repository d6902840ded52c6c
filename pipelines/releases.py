"""Releases of the shared definitions (docs/definitions.md).

The definitions are the files that define a number: seeds/ (catalogue, nomenclatures, mappings, finance
and HR seeds, national references), the indicator models of models/marts/indicators/, the setting
defaults (vars of dbt_project.yml) and the decision ids. They are released together under one version
(definitions/VERSION); each release has a manifest definitions/releases/<version>.toml:

- version, date, product_min (the oldest tdbms that can run it), summary;
- [[changes]]: the change log (indicators touched, reason, norm, decisions), from which
  definitions/CHANGELOG.md is written (`python -m pipelines.releases changelog`);
- for a former release only, what it had that differs from the files of the current release: [settings]
  (defaults) and [catalogue."<code>"] (catalogue fields). The installed product runs a former release by
  passing these to dbt; a release that would need other model code sets a higher product_min and is
  refused by the products that cannot run it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipelines import PROJECT_ROOT
from pipelines.errors import TdbmsError

DEFINITIONS_DIR = PROJECT_ROOT / "definitions"
CHANGELOG_TITLE = "# Journal des versions des définitions partagées"


@dataclass(frozen=True)
class Change:
    indicators: tuple[str, ...]  # codes, or "*" for every indicator
    reason: str
    norm: str
    decisions: tuple[str, ...]

    def touches(self, code: str) -> bool:
        return "*" in self.indicators or code in self.indicators


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    product_min: str
    summary: str
    settings: dict[str, Any] = field(default_factory=dict)  # defaults differing from the current files
    catalogue: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> fields differing
    changes: tuple[Change, ...] = ()
    path: Path | None = None


def version_key(text: str) -> tuple[int, ...]:
    """Calendar or semantic version as a tuple of integers ("2026.10" after "2026.9")."""
    return tuple(int(part) for part in text.split("."))


def product_version() -> str:
    try:
        return version("tdbms")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _read_release(path: Path) -> Release:
    def fail(reason: str) -> TdbmsError:
        return TdbmsError(f"{path} : {reason}")

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"le manifeste de version n'est pas un TOML valide ({exc}).") from None
    missing = [key for key in ("version", "date", "product_min", "summary") if not data.get(key)]
    if missing:
        raise fail(f"clé(s) obligatoire(s) absente(s) du manifeste : {', '.join(missing)}.")
    if data["version"] != path.stem:
        raise fail(f"la version « {data['version']} » ne correspond pas au nom du fichier ({path.stem}).")
    try:
        version_key(data["version"]), version_key(data["product_min"])
    except ValueError:
        raise fail("version et product_min s'écrivent en nombres séparés par des points (2026.2, 0.1.0).") from None
    changes = []
    for i, change in enumerate(data.get("changes", []), 1):
        if not change.get("indicators") or not change.get("reason") or not change.get("norm"):
            raise fail(f"l'entrée [[changes]] n° {i} doit nommer ses indicateurs, son motif (reason) et sa norme (norm).")
        changes.append(Change(tuple(change["indicators"]), change["reason"], change["norm"],
                              tuple(change.get("decisions", []))))
    return Release(version=data["version"], date=str(data["date"]), product_min=data["product_min"],
                   summary=data["summary"], settings=data.get("settings", {}), catalogue=data.get("catalogue", {}),
                   changes=tuple(changes), path=path)


@cache
def releases(folder: Path = DEFINITIONS_DIR) -> dict[str, Release]:
    """Every release of the definitions, oldest first."""
    found = [_read_release(path) for path in (folder / "releases").glob("*.toml")]
    return {r.version: r for r in sorted(found, key=lambda r: version_key(r.version))}


def current_version(folder: Path = DEFINITIONS_DIR) -> str:
    return (folder / "VERSION").read_text(encoding="utf-8").strip()


def get_release(name: str | None, folder: Path = DEFINITIONS_DIR) -> Release:
    """The release an association names (None: the current one), refused in French when the installed
    product cannot run it."""
    name = current_version(folder) if name in (None, "", "current") else str(name)
    known = releases(folder)
    if name not in known:
        raise TdbmsError(f"la version des définitions « {name} » n'existe pas. Versions disponibles : "
                         f"{', '.join(known)} (voir `tdbms definitions list`).")
    release = known[name]
    installed = product_version()
    if version_key(release.product_min) > version_key(installed):
        raise TdbmsError(f"la version des définitions {name} demande tdbms {release.product_min} ou plus récent ; "
                         f"tdbms {installed} est installé. Mettez tdbms à jour ou choisissez une version antérieure.")
    return release


def release_defaults(release: Release) -> dict[str, Any]:
    """The setting defaults of a release: the current files' (dbt_project.yml), with what it changed."""
    from pipelines.settings import default_settings

    return default_settings() | release.settings


def entries_between(older: str, newer: str, folder: Path = DEFINITIONS_DIR) -> list[tuple[Release, Change]]:
    """The change-log entries of the releases after `older` up to `newer` (either order of the two)."""
    low, high = sorted((older, newer), key=version_key)
    return [(r, c) for r in releases(folder).values()
            if version_key(low) < version_key(r.version) <= version_key(high) for c in r.changes]


def changelog_text(folder: Path = DEFINITIONS_DIR) -> str:
    """definitions/CHANGELOG.md, written from the manifests (newest first)."""
    lines = [CHANGELOG_TITLE, "",
             "Écrit à partir des manifestes `definitions/releases/<version>.toml` par "
             "`python -m pipelines.releases changelog` : ne pas modifier à la main (voir docs/definitions.md).", ""]
    for release in reversed(releases(folder).values()):
        lines += [f"## {release.version} — {release.date}", "", release.summary,
                  f"Version minimale de tdbms : {release.product_min}.", ""]
        for change in release.changes:
            codes = "tous" if "*" in change.indicators else ", ".join(change.indicators)
            lines += [f"- **Indicateurs** : {codes}", f"  - **Motif** : {change.reason}",
                      f"  - **Norme** : {change.norm}",
                      f"  - **Décisions** : {', '.join(change.decisions) or '—'}"]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m pipelines.releases changelog
    import sys

    if sys.argv[1:] != ["changelog"]:
        sys.exit("usage: python -m pipelines.releases changelog")
    (DEFINITIONS_DIR / "CHANGELOG.md").write_text(changelog_text(), encoding="utf-8")
