"""``tdbms inspect fec FILE [--json]``: what a FEC holds and which checks fail, without loading anything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from pipelines.errors import SourceFileError
from pipelines.readers.base import Reject
from pipelines.readers.fec import (
    BLOCKING,
    SEPARATOR_NAMES,
    USABLE,
    ParsedFec,
    fr_amount,
    fr_date,
    status_of,
    summary_text,
)

MAX_REJECTS_SHOWN = 50
CLASS_NAMES = {
    "1": "capitaux", "2": "immobilisations", "3": "stocks", "4": "tiers", "5": "financiers",
    "6": "charges", "7": "produits", "8": "comptes spéciaux",
}


def summarise_fec(path: Path) -> dict:
    """Variant, exercise, counts, totals, balance per account class and every failed check (JSON-ready).

    A file that cannot be read at all gives ``{"file": …, "erreur": French message naming file and line}``
    (the key the ``inspect`` command looks at to exit with an error).
    """
    path = Path(path)
    try:
        return _summarise(path)
    except SourceFileError as exc:
        return {"file": str(path), "erreur": str(exc)}


def _summarise(path: Path) -> dict:
    with ParsedFec(path) as fec:
        rejects = []
        for item in fec.stream():
            if isinstance(item, Reject) and len(rejects) < MAX_REJECTS_SHOWN:
                rejects.append({"line": item.line, "reason": item.reason, "excerpt": item.excerpt})
        failures = fec.checks()
        variant = fec.variant
        return {
            "file": str(path),
            "dossier": fec.dossier,
            "siren": fec.name.siren,
            "closing_date": fec.name.closing_date.isoformat(),
            "exercise_start": fec.name.exercise_start.isoformat(),
            "exercise_end": fec.name.closing_date.isoformat(),
            "variant": {
                "separator": SEPARATOR_NAMES[variant.separator],
                "encoding": variant.encoding,
                "amount_layout": variant.amount_layout,
                "decimal_separator": variant.decimal_separator,
                "amount_padding": variant.amount_padding,
                "line_ending": variant.line_ending,
                "extra_columns": list(variant.extra_columns),
                "description": variant.describe(),
            },
            "line_count": fec.line_count,
            "ecriture_count": fec.ecriture_count,
            "rejected_lines": fec.rejected_count,
            "total_debit": _number(fec.total_debit),
            "total_credit": _number(fec.total_credit),
            "balance_by_class": [
                {**row, "debit": _number(row["debit"]), "credit": _number(row["credit"]),
                 "balance": _number(row["balance"])}
                for row in fec.class_balance()
            ],
            "status": status_of(failures),
            "check_summary": summary_text(failures),
            "checks": [failure.as_dict() for failure in failures],
            "rejects": rejects,
        }


def _number(value: Decimal | None) -> float:
    return float(value or 0)


def format_summary(summary: dict) -> str:
    """The summary as French text for the terminal."""
    if "erreur" in summary:
        return f"Fichier : {summary['file']}\n  ERREUR : {summary['erreur']}"
    variant = summary["variant"]
    lines = [
        f"Fichier : {summary['file']}",
        f"Dossier comptable : {summary['dossier']}",
        f"SIREN : {summary['siren'] or 'absent du nom du fichier'}",
        f"Exercice : du {_fr_iso(summary['exercise_start'])} au {_fr_iso(summary['exercise_end'])} "
        f"(clôture du {_fr_iso(summary['closing_date'])})",
        f"Variante : {variant['description']}",
        f"Lignes : {summary['line_count']} dont {summary['rejected_lines']} rejetée(s) ; "
        f"écritures : {summary['ecriture_count']}",
        f"Total des débits : {fr_amount(summary['total_debit'])} ; total des crédits : "
        f"{fr_amount(summary['total_credit'])}",
        "",
        "Balance par classe de comptes (solde = débit − crédit) :",
    ]
    for row in summary["balance_by_class"]:
        name = CLASS_NAMES.get(row["class"], "numéro de compte invalide")
        lines.append(
            f"  classe {row['class']} ({name}) : débit {fr_amount(row['debit'])}, crédit {fr_amount(row['credit'])}, "
            f"solde {fr_amount(row['balance'])}"
        )
    usable = summary["status"] == USABLE
    lines += ["", f"Statut : {summary['status']} — "
              + ("les montants peuvent être utilisés." if usable else "les montants ne peuvent pas être utilisés."),
              f"Contrôles : {summary['check_summary']}"]
    for check in summary["checks"]:
        mark = "BLOQUANT" if check["severity"] == BLOCKING else "avertissement"
        lines.append(f"  [{mark}] {check['check_id']} : {check['message']}")
    if summary["rejects"]:
        shown = len(summary["rejects"])
        more = f" (les {shown} premières)" if summary["rejected_lines"] > shown else ""
        lines += ["", f"Lignes rejetées{more} :"]
        lines += [f"  ligne {r['line']} : {r['reason']}" for r in summary["rejects"]]
    return "\n".join(lines)


def _fr_iso(text: str) -> str:
    return fr_date(dt.date.fromisoformat(text))
