"""Commands of the association's outputs: campaign export, drill-down, shared aggregates, parangonnage."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipelines import PROJECT_ROOT


@click.command("export-campaign", help="Écrit les valeurs de la campagne TDB MS de chaque ESMS (CSV et XLSX).")
@click.argument("association")
@click.option("--year", type=int, required=True, help="Année des données (la campagne N porte sur l'année N-1).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Dossier où écrire les fichiers (défaut : <sorties de l'association>/campagne).")
@click.pass_context
def export_campaign_command(ctx: click.Context, association: str, year: int, out: Path | None) -> None:
    from pipelines.campaign import export_campaign
    from pipelines.cli import association_config

    cfg = association_config(ctx, association)
    for path in export_campaign(cfg, year, out or cfg.output_dir / "campagne"):
        click.echo(str(path))


@click.command("explain", help="Détaille une valeur d'indicateur : définition, numérateur, dénominateur et "
                               "enregistrements sources (clés pseudonymes, fichier, ligne).")
@click.argument("association")
@click.argument("indicator")
@click.option("--finess", required=True, help="FINESS géographique de l'ESMS.")
@click.option("--year", type=int, required=True, help="Année.")
@click.option("--month", type=int, default=None, help="Mois (1 à 12) ; sans mois : l'année.")
@click.option("--cumul", is_flag=True, help="Cumul depuis janvier jusqu'au mois donné (--month).")
@click.option("--breakdown", default=None, help="Une seule classe de la répartition (code de la classe).")
@click.option("--limit", type=int, default=25, show_default=True,
              help="Enregistrements affichés par rôle et classe (0 : tous).")
@click.option("--json", "as_json", is_flag=True, help="Résultat complet au format JSON.")
@click.pass_context
def explain_command(ctx: click.Context, association: str, indicator: str, finess: str, year: int, month: int | None,
                    cumul: bool, breakdown: str | None, limit: int, as_json: bool) -> None:
    from pipelines.cli import association_config
    from pipelines.explain import explain, format_text

    result = explain(association_config(ctx, association), indicator, finess, year, month, cumul, breakdown)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str) if as_json else format_text(result, limit))


@click.command("share", help="Écrit le fichier d'agrégats à partager pour le parangonnage (petites cellules masquées).")
@click.argument("association")
@click.option("--year", type=int, required=True, help="Année des données.")
@click.option("--anonymise-finess", is_flag=True, help="Remplace les FINESS par des codes opaques propres au fichier.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Fichier à écrire (défaut : <sorties de l'association>/partage_<année>.json).")
@click.pass_context
def share_command(ctx: click.Context, association: str, year: int, anonymise_finess: bool, out: Path | None) -> None:
    from pipelines.cli import association_config
    from pipelines.share import write_share

    cfg = association_config(ctx, association)
    click.echo(str(write_share(cfg, year, out or cfg.output_dir / f"partage_{year}.json", anonymise_finess)))


@click.command("compare", help="Assemble les fichiers d'agrégats de plusieurs associations en une page de parangonnage.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Dossier où écrire parangonnage.html (défaut : <sorties>/parangonnage).")
@click.pass_context
def compare_command(ctx: click.Context, files: tuple[Path, ...], out: Path | None) -> None:
    from pipelines.compare import write_page

    root = ctx.obj.get("output") or PROJECT_ROOT / "output"
    click.echo(str(write_page(list(files), out or Path(root) / "parangonnage")))


COMMANDS = [export_campaign_command, explain_command, share_command, compare_command]
