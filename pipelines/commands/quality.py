"""`tdbms quality <association>`: the data-quality summary of an association, in French, from its latest
stored run (or a new run with --run); exit code 1 when a blocking check failed."""

from __future__ import annotations

import sys

import click

from pipelines.cli import association_config
from pipelines.errors import TdbmsError
from pipelines.quality.results import FAMILIES, FAMILY_LABELS, SEVERITIES, CheckResult, QualityReport

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
KEY_LABELS = {
    "_source_file": "fichier", "_line": "ligne", "finess": "FINESS", "siret": "SIRET", "year": "année",
    "month": "mois", "period_type": "période", "indicator_code": "indicateur", "breakdown": "ventilation",
    "source": "source", "link": "rattachement", "record_key": "clé", "stay_key": "séjour",
    "person_key": "personne", "act_key": "acte", "contract_key": "contrat", "day": "jour",
}
PERIOD_LABELS = {"year": "année", "month": "mois", "ytd": "cumul depuis janvier"}


def _value(value) -> str:
    return f"{value:g}".replace(".", ",") if isinstance(value, int | float) else str(value)


def threshold_text(result: CheckResult) -> str:
    thresholds = result.thresholds
    low, high = thresholds.get("min_value"), thresholds.get("max_value")
    parts = []
    if low is not None and high is not None:
        parts.append(f"valeurs entre {_value(low)} et {_value(high)}")
    elif high is not None:
        parts.append(f"valeurs au plus {_value(high)}")
    elif low is not None:
        parts.append(f"valeurs au moins {_value(low)}")
    mostly = thresholds.get("mostly", 1)
    parts.append("toutes les lignes conformes" if mostly >= 1 else f"au moins {_value(mostly * 100)} % de lignes conformes")
    return " ; ".join(parts)


def example_text(keys: dict) -> str:
    return ", ".join(f"{KEY_LABELS.get(k, k)} {PERIOD_LABELS.get(v, v) if k == 'period_type' else v}"
                     for k, v in keys.items() if v is not None)


def _severity_order(result: CheckResult) -> tuple:
    share = (result.failing_rows or 0) / result.total_rows if result.total_rows else 0
    return SEVERITY_RANK[result.severity], -share, -(result.failing_rows or 0), result.check_id


def summary_text(report: QualityReport, limit: int = 10, blocked: list[str] | None = None) -> str:
    failed = sorted(report.failed, key=_severity_order)
    counts = report.failed_counts()
    lines = [
        f"Contrôles qualité de l'association {report.association_id} — exécution n° {report.run_id} "
        f"du {report.started_at:%d/%m/%Y à %H:%M}",
        f"{len(report.results)} contrôle(s), {len(failed)} en échec dont {len(report.blocking)} bloquant(s).",
        "",
        f"{'Contrôles en échec':<20}" + "".join(f"{severity:>15}" for severity in SEVERITIES),
        *[f"  {FAMILY_LABELS[family]:<18}" + "".join(f"{counts[(family, s)]:>15}" for s in SEVERITIES)
          for family in FAMILIES],
    ]
    if failed:
        lines += ["", f"Contrôles en échec, les plus graves d'abord ({min(limit, len(failed))} sur {len(failed)}) :"]
    for result in failed[:limit]:
        rows = "?" if result.failing_rows is None else result.failing_rows
        total = f" sur {result.total_rows}" if result.total_rows is not None else ""
        lines += [
            f"  [{result.severity}] {result.description}",
            f"      {rows} ligne(s) en échec{total} — seuil : {threshold_text(result)} — table {result.table_name}"
            + (f", colonne {result.column_name}" if result.column_name else ""),
        ]
        if result.error:
            lines.append(f"      contrôle impossible : {result.error}")
        lines += [f"      exemple : {example_text(keys)}" for keys in result.example_keys]
    if blocked:
        lines += ["", f"Indicateurs marqués « contrôles en échec » : {', '.join(blocked)}"]
    if report.docs_path:
        lines += ["", f"Rapport détaillé (Great Expectations) : {report.docs_path}"]
    return "\n".join(lines)


@click.command("quality", help="Affiche le résultat des contrôles qualité d'une association (dernière exécution "
                               "enregistrée) ; code de sortie 1 si un contrôle bloquant échoue.")
@click.argument("association")
@click.option("--run", "run_now", is_flag=True, help="Exécute les contrôles maintenant puis affiche leur résultat.")
@click.option("--limit", default=10, show_default=True, help="Nombre de contrôles en échec détaillés.")
@click.pass_context
def quality(ctx: click.Context, association: str, run_now: bool, limit: int) -> None:
    from pipelines.catalogue import load_catalogue
    from pipelines.quality import latest_report
    from pipelines.run import check_quality

    cfg = association_config(ctx, association)
    report = check_quality(cfg) if run_now else latest_report(cfg)
    if report is None:
        raise TdbmsError(f"aucun contrôle qualité enregistré pour l'association {cfg.id} : "
                         f"lancez « tdbms quality {cfg.id} --run ».")
    blocked = report.blocked_indicators([row["code"] for row in load_catalogue()])
    click.echo(summary_text(report, limit, blocked))
    if report.blocking:
        sys.exit(1)


COMMANDS = [quality]
