"""`tdbms deploy …`: what an operator hosting many associations needs around Dagster's own machinery
(docs/operating.md): the workspace of one code location per association, and the isolation check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.deploy import DEFAULT_FIRST_PORT, DEFAULT_HOST, check_deployment, locations, workspace_yaml


@click.group(help="Déploiement chez un opérateur : un emplacement de code Dagster par association.")
def deploy() -> None:
    pass


@deploy.command(help="Écrit le workspace Dagster : un emplacement de code (un processus) par fichier de "
                     "configuration du DOSSIER.")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("workspace.yaml"), show_default=True,
              help="Fichier workspace à écrire.")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Adresse d'écoute des serveurs de code.")
@click.option("--first-port", type=int, default=DEFAULT_FIRST_PORT, show_default=True,
              help="Port du premier serveur de code (les suivants dans l'ordre des fichiers).")
@click.pass_context
def workspace(ctx: click.Context, folder: Path, out: Path, host: str, first_port: int) -> None:
    entries = locations(folder, host, first_port, ctx.obj["output"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(workspace_yaml(entries), encoding="utf-8")
    click.echo(f"Workspace écrit : {out} ({len(entries)} emplacement(s) de code).")
    click.echo("Serveurs de code à démarrer (un processus par association) :")
    for entry in entries:
        click.echo(f"  {entry.shell_line()}")


@deploy.command(help="Vérifie les configurations du DOSSIER : toutes valides, aucun entrepôt, secret, dossier "
                     "de sources ou de sorties partagé, secrets en mode 0600.")
@click.argument("folder", type=click.Path(path_type=Path))
@click.pass_context
def check(ctx: click.Context, folder: Path) -> None:
    report = check_deployment(folder, ctx.obj["output"])
    click.echo(report.summary())
    if report.problems:
        sys.exit(1)


COMMANDS = [deploy]
