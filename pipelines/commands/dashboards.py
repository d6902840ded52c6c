"""`tdbms dashboards <association>`: build the static dashboards site of an association."""

from __future__ import annotations

import click

from pipelines.cli import association_config


@click.command("dashboards", help="Construit le site des tableaux de bord d'une association (pages HTML statiques, "
                                  "consultables sans réseau) et affiche le chemin de sa page d'accueil.")
@click.argument("association")
@click.option("--out", type=click.Path(path_type=str), default=None,
              help="Dossier du site (défaut : output/<association>/dashboards).")
@click.pass_context
def dashboards(ctx: click.Context, association: str, out: str | None) -> None:
    from pipelines.dashboards import build_site

    click.echo(str(build_site(association_config(ctx, association), out)))


COMMANDS = [dashboards]
