"""`tdbms inspect dsn FILE...`: what DSN files contain, read through the reader without loading anything.

Each file is streamed by ``pipelines.readers.dsn`` with a throwaway pseudonymisation secret (the keys
only serve to count distinct individuals) and with every declaration nature accepted, so that a
signalement is described instead of refused; what the load would reject is listed as an anomaly.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from pipelines.errors import SourceFileError
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers import dsn
from pipelines.readers.base import ReadContext, Reject

TYPE_LABELS = {
    "01": "normale", "02": "normale sans individu", "03": "annule et remplace intégral", "04": "annule",
    "05": "annule et remplace sans individu",
}
MAX_LISTED_ANOMALIES = 20


def summarise_dsn(paths: Iterable[Path]) -> list[dict]:
    """One summary per file: declarations (nature, type, fraction, month), SIREN, SIRET, counts, anomalies."""
    context = ReadContext(Pseudonymiser(secrets.token_hex(32).encode()), options={"all_natures": True})
    return [_summarise(Path(path), context) for path in paths]


def _summarise(path: Path, context: ReadContext) -> dict:
    context.warnings.clear()
    declarations: list[dict] = []
    individuals: set[str] = set()
    counts = {"contracts": 0, "work_stoppages": 0}
    anomalies: list[str] = []
    rejected = 0
    try:
        for item in dsn.read(path, context):
            if isinstance(item, Reject):
                rejected += 1
                if len(anomalies) < MAX_LISTED_ANOMALIES:
                    anomalies.append(f"ligne {item.line} : {item.reason}")
            elif item.table == "raw_dsn_declarations":
                declarations.extend(item.batch.to_pylist())
            elif item.table == "raw_dsn_individuals":
                individuals.update(k for k in item.batch.column("individual_key").to_pylist() if k)
            elif item.table == "raw_dsn_contracts":
                counts["contracts"] += item.batch.num_rows
            elif item.table == "raw_dsn_work_stoppages":
                counts["work_stoppages"] += item.batch.num_rows
    except SourceFileError as exc:
        return {"file": str(path), "readable": False, "nature": None, "month": None, "declarations": [],
                "siren": [], "establishments": [],
                "individuals": 0, "contracts": 0, "work_stoppages": 0, "rejected_lines": 0,
                "anomalies": [str(exc)]}
    if rejected > len(anomalies):
        anomalies.append(f"… et {rejected - len(anomalies)} autre(s) ligne(s) rejetée(s)")
    for declaration in {(d["declaration_line"], d["nature"]) for d in declarations}:
        if declaration[1] != dsn.MONTHLY_NATURE:
            anomalies.append(f"ligne {declaration[0]} : {dsn.nature_reason(declaration[1])}")
    anomalies.extend(context.warnings)
    listed = _declarations(declarations)
    return {
        "file": str(path),
        "readable": True,
        "nature": ", ".join(sorted({d["nature"] or "?" for d in listed})),
        "month": ", ".join(sorted({d["month"] or "?" for d in listed})),
        "declarations": listed,
        "siren": sorted({d["siren"] for d in declarations if d["siren"]}),
        "establishments": sorted({d["siret"] for d in declarations if d["siret"]}),
        "individuals": len(individuals),
        **counts,
        "rejected_lines": rejected,
        "anomalies": anomalies,
    }


def _declarations(rows: list[dict]) -> list[dict]:
    seen = {}
    for row in rows:
        seen.setdefault(row["declaration_line"], {
            "line": row["declaration_line"],
            "nature": row["nature"],
            "type": row["declaration_type"],
            "fraction": row["fraction"],
            "month": row["declared_month"].strftime("%Y-%m") if row["declared_month"] else None,
            "constitution_date": row["constitution_date"].isoformat() if row["constitution_date"] else None,
        })
    return [seen[line] for line in sorted(seen)]


def format_summary(summaries: list[dict]) -> str:
    """The summaries as French text, one paragraph per file."""
    paragraphs = []
    for s in summaries:
        lines = [s["file"]]
        if s["readable"]:
            for d in s["declarations"]:
                month = f"{d['month'][5:]}/{d['month'][:4]}" if d["month"] else "inconnu"
                nature = dsn.NATURE_LABELS.get(d["nature"], "nature inconnue")
                kind = TYPE_LABELS.get(d["type"], "type inconnu")
                lines.append(
                    f"  déclaration (ligne {d['line']}) : nature {d['nature']} ({nature}), type {d['type']} ({kind}), "
                    f"fraction {d['fraction']}, mois {month}"
                )
            lines.append(f"  SIREN : {', '.join(s['siren']) or 'absent'}")
            lines.append(f"  établissements (SIRET) : {', '.join(s['establishments']) or 'aucun'}")
            lines.append(
                f"  individus : {s['individuals']} · contrats : {s['contracts']} · "
                f"arrêts de travail : {s['work_stoppages']}"
            )
        else:
            lines.append("  fichier illisible : rien ne serait chargé")
        if s["anomalies"]:
            lines.append(f"  anomalies ({len(s['anomalies'])}) :")
            lines.extend(f"    - {a}" for a in s["anomalies"])
        else:
            lines.append("  anomalies : aucune")
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
