"""`tdbms inspect <kind> <file>...`: read source files without loading them and summarise them.

The DSN and FEC have their own summaries (inspect_dsn, inspect_fec); every other kind is summarised
generically by running its reader with a throwaway key: rows per raw table, rejected lines and reasons.
"""

from __future__ import annotations

import importlib
import secrets
from collections import Counter
from pathlib import Path

from pipelines.errors import SourceFileError, TdbmsError
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers.base import ReadContext, Reject
from pipelines.sources import reader

SPECIFIC = {"dsn": "pipelines.inspect_dsn", "fec": "pipelines.inspect_fec"}
SHOWN_REJECTS = 5


def summarise_file(kind: str, path: Path) -> dict:
    summary: dict = {"fichier": str(path), "type": kind}
    if not path.is_file():
        summary["erreur"] = f"{path} : fichier introuvable"
        return summary
    context = ReadContext(pseudonymiser=Pseudonymiser(secrets.token_hex(32).encode()))
    rows: Counter = Counter()
    rejects: list[Reject] = []
    try:
        for item in reader(kind).read(path, context):
            if isinstance(item, Reject):
                rejects.append(item)
            else:
                rows[item.table] += item.batch.num_rows
    except SourceFileError as exc:
        summary["erreur"] = str(exc)
    summary["lignes_par_table"] = dict(rows)
    summary["lignes_rejetees"] = len(rejects)
    summary["rejets"] = [{"ligne": r.line, "motif": r.reason} for r in rejects[:SHOWN_REJECTS]]
    return summary


def format_generic(summaries: list[dict]) -> str:
    out = []
    for s in summaries:
        out.append(f"Fichier : {s['fichier']} ({s['type']})")
        if s.get("erreur"):
            out.append(f"  ERREUR : {s['erreur']}")
        for table, count in s.get("lignes_par_table", {}).items():
            out.append(f"  {table} : {count} ligne(s) lisible(s)")
        if s.get("lignes_rejetees"):
            out.append(f"  {s['lignes_rejetees']} ligne(s) rejetée(s), dont :")
            out += [f"    ligne {r['ligne']} : {r['motif']}" for r in s["rejets"]]
    return "\n".join(out)


def _files(kind: str, paths: list[Path]) -> list[Path]:
    """A folder stands for the source files its reader would discover in it."""
    found: list[Path] = []
    for path in paths:
        found += reader(kind).discover(path) if path.is_dir() else [path]
    return found


def inspect_files(kind: str, paths: list[Path]) -> tuple[list[dict], str]:
    if kind in SPECIFIC:
        try:
            module = importlib.import_module(SPECIFIC[kind])
        except ModuleNotFoundError:
            raise TdbmsError(f"l'inspection des fichiers {kind.upper()} n'est pas installée") from None
        files = _files(kind, paths)
        if kind == "dsn":
            summaries = module.summarise_dsn(files)
            return summaries, module.format_summary(summaries)
        summaries = [module.summarise_fec(f) for f in files]
        return summaries, "\n\n".join(module.format_summary(s) for s in summaries)
    summaries = [summarise_file(kind, f) for f in _files(kind, paths)]
    return summaries, format_generic(summaries)
