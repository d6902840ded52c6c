"""`tdbms definitions`: the releases of the shared definitions, an indicator as of a release, and the impact
of moving from one release to another on an association's own data (docs/definitions.md)."""

from __future__ import annotations

import click

from pipelines.errors import TdbmsError

CONFIDENCE = {"official": "officielle (texte réglementaire)", "inferred": "déduite des textes (à confirmer)",
              "local": "propre à l'association"}


@click.group("definitions", help="Versions des définitions partagées : liste, définition d'un indicateur, impact.")
def definitions() -> None:
    pass


@definitions.command("list", help="Liste les versions des définitions disponibles.")
def list_command() -> None:
    from pipelines.releases import current_version, product_version, releases, version_key

    current, installed = current_version(), product_version()
    for release in releases().values():
        runnable = version_key(release.product_min) <= version_key(installed)
        marks = [m for m, on in (("version courante", release.version == current),
                                 (f"demande tdbms {release.product_min}", not runnable)) if on]
        click.echo(f"{release.version}  {release.date}  {release.summary}" + (f"  [{', '.join(marks)}]" if marks else ""))
        for change in release.changes:
            codes = "tous" if "*" in change.indicators else ", ".join(change.indicators)
            click.echo(f"    · {codes} : {change.reason}")


def definition_as_of(code: str, version: str | None) -> tuple[dict, dict]:
    """The catalogue row of a shared indicator as of a release, and the setting defaults it depends on."""
    from pipelines.catalogue import by_code
    from pipelines.releases import get_release, release_defaults
    from pipelines.settings import setting_decisions

    release = get_release(version)
    rows = by_code()
    if code not in rows:
        raise TdbmsError(f"indicateur « {code} » inconnu des définitions partagées (codes A1-01 à A4-03).")
    row = rows[code] | release.catalogue.get(code, {}) | {"release": release.version}
    decisions = set(row["decision_ids"].split())
    defaults = release_defaults(release)
    settings = {name: defaults[name] for name, decision in setting_decisions().items() if decision in decisions}
    return row, settings


@definitions.command("show", help="Affiche la définition d'un indicateur (par défaut dans la version courante).")
@click.argument("code")
@click.option("--release", "version", default=None, help="Version des définitions (défaut : la version courante).")
def show_command(code: str, version: str | None) -> None:
    row, settings = definition_as_of(code.upper(), version)
    scope = "tous les ESMS" if row["applicable_categories"] == "tous" else f"catégories {row['applicable_categories']}"
    lines = [
        f"{row['code']} — {row['label']} (définitions {row['release']}, version de l'indicateur {row['definition_version']})",
        f"  Unité : {row['unit']}",
        f"  Formule : {row['formula']}",
        f"  Numérateur : {row['numerator']}",
        f"  Dénominateur : {row['denominator'] or '—'}",
        f"  Norme : {row['norm']}",
        f"  Décisions : {row['decision_ids'] or '—'}",
        f"  Fiabilité : {CONFIDENCE.get(row['confidence'], row['confidence'])}",
        f"  Applicabilité : {scope}" + (f" ; {row['applicable_rule']}" if row["applicable_rule"] else ""),
    ]
    if settings:
        lines.append("  Paramètres (défaut de cette version) : "
                     + ", ".join(f"{name} = {value!r}" for name, value in settings.items()))
    click.echo("\n".join(lines))


@definitions.command("impact", help="Calcule les deux versions sur les données de l'association et écrit les "
                                    "valeurs qui changent (terminal, CSV, XLSX, page HTML).")
@click.argument("association")
@click.option("--from", "old", required=True, help="Version de départ (par exemple celle de l'association).")
@click.option("--to", "new", required=True, help="Version d'arrivée.")
@click.option("--share", is_flag=True, help="Écrit aussi le résumé agrégé à envoyer au comité (petites cellules masquées).")
@click.option("--year", type=int, default=None, help="Année du résumé --share (défaut : la dernière année complète).")
@click.pass_context
def impact_command(ctx: click.Context, association: str, old: str, new: str, share: bool, year: int | None) -> None:
    from pipelines.cli import association_config
    from pipelines.impact import compute_impact, terminal_text, write_report, write_share_summary

    cfg = association_config(ctx, association)
    click.echo(f"Calcul des versions {old} et {new} sur les données de {cfg.id} (copies de l'entrepôt)…", err=True)
    impact = compute_impact(cfg, old, new)
    click.echo(terminal_text(impact))
    for path in write_report(impact):
        click.echo(str(path))
    if share:
        click.echo(str(write_share_summary(impact, year or _last_full_year(impact))))


def _last_full_year(impact) -> int:
    from pipelines.outputs import read_warehouse

    with read_warehouse(impact.new_cfg) as con:
        found = con.execute("select max(year) from int_periods where period_type = 'month' and month = 12").fetchone()[0]
    if found is None:
        raise TdbmsError("aucune année dans l'entrepôt : précisez --year.")
    return found


COMMANDS = [definitions]
