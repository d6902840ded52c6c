"""`tdbms`: the command line (English verbs, French help and messages, no tracebacks for users)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import click

from pipelines import PROJECT_ROOT
from pipelines.config import find_config, load_configs
from pipelines.errors import TdbmsError

DEFAULT_ASSOCIATIONS = PROJECT_ROOT / "associations"


def _error_log(ctx: click.Context) -> Path:
    """Write the traceback of an unexpected error to output/logs/ and return the file."""
    import traceback

    root = (ctx.obj or {}).get("output") or PROJECT_ROOT / "output"
    path = Path(root) / "logs" / f"erreur-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(traceback.format_exc(), encoding="utf-8")
    return path


def _say(message: str) -> None:
    click.echo(f"  · {message}", err=True)


class FrenchErrors(click.Group):
    """Any TdbmsError becomes a French message and exit code 1 (2 for usage errors, as click does)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TdbmsError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # an unexpected failure: a French message, the technical detail in a file
            log = _error_log(ctx)
            click.echo(f"Erreur inattendue ({type(exc).__name__} : {exc}). Détail technique : {log}", err=True)
            sys.exit(2)


@click.group(cls=FrenchErrors, help="Entrepôt d'indicateurs du tableau de bord de la performance médico-sociale.")
@click.option("--associations", "associations_dir", type=click.Path(path_type=Path), default=DEFAULT_ASSOCIATIONS,
              show_default=True, help="Fichier ou dossier des configurations d'associations.")
@click.option("--output", "output_root", type=click.Path(path_type=Path), default=None,
              help="Dossier racine des sorties (défaut : celui de la configuration, sinon output/).")
@click.pass_context
def main(ctx: click.Context, associations_dir: Path, output_root: Path | None) -> None:
    ctx.obj = {"associations": associations_dir, "output": output_root}
    os.environ.setdefault("DAGSTER_HOME", str((output_root or PROJECT_ROOT / "output") / "dagster_home"))


def association_config(ctx: click.Context, association: str):
    """The configuration of an association named on the command line (id or path of its file)."""
    return find_config(ctx.obj["associations"], association, ctx.obj["output"])


@main.command(help="Charge les sources d'une association et calcule ses indicateurs (via Dagster, en local).")
@click.argument("association")
@click.pass_context
def run(ctx: click.Context, association: str) -> None:
    from pipelines.dagster_run import run_job

    cfg = association_config(ctx, association)
    click.echo(f"Association {cfg.id} — {cfg.name}", err=True)
    started, since = time.monotonic(), dt.datetime.now()
    result = run_job(cfg, progress=_say)
    click.echo(result.summary, err=True)
    refused, with_rejects = _source_findings(cfg, since)
    for path, count, line, reason in with_rejects:
        click.echo(f"Lignes rejetées : {path} : {count} ligne(s), dont la ligne {line} : {reason}", err=True)
    for message in refused:
        click.echo(f"Fichier refusé : {message}", err=True)
    click.echo(f"Terminé en {time.monotonic() - started:.0f} s. Entrepôt : {cfg.warehouse_path}")
    if refused:
        click.echo(f"{len(refused)} fichier(s) refusé(s) : corrigez-les ou retirez-les du dossier des sources, "
                   "puis relancez.", err=True)
    if not result.success or refused:
        sys.exit(1)


def _source_findings(cfg, since: dt.datetime) -> tuple[list[str], list[tuple]]:
    """What the loads of this run refused (messages naming file and line) and which files lost lines (path,
    count, first line and its reason), from load_log and rejects."""
    from pipelines.warehouse import connect

    try:
        con = connect(cfg.warehouse_path, read_only=True)
    except TdbmsError:  # no warehouse (nothing loaded) or another process writing it: nothing to add
        return [], []
    try:
        refused = [row[0] for row in con.execute(
            "select message from load_log where status = 'rejete' and loaded_at >= ? order by load_id", [since],
        ).fetchall()]
        with_rejects = con.execute(
            """select log.file_path, log.rows_rejected, min(r.line), arg_min(r.reason, coalesce(r.line, 0))
               from load_log as log join rejects as r using (load_id)
               where log.status = 'charge' and log.rows_rejected > 0 and log.loaded_at >= ?
               group by all order by log.file_path""", [since],
        ).fetchall()
    finally:
        con.close()
    return refused, with_rejects


@main.command(help="Ouvre l'interface Dagster sur les associations configurées.")
@click.option("--port", default=3000, show_default=True)
@click.pass_context
def ui(ctx: click.Context, port: int) -> None:
    from pipelines.dagster_run import dagster_home

    env = dict(os.environ, TDBMS_ASSOCIATIONS=str(Path(ctx.obj["associations"]).resolve()),
               DAGSTER_HOME=str(dagster_home(ctx.obj["output"])))
    if ctx.obj["output"]:
        env["TDBMS_OUTPUT"] = str(Path(ctx.obj["output"]).resolve())
    dagster = Path(sys.executable).parent / "dagster"
    os.execve(str(dagster), [str(dagster), "dev", "-m", "pipelines.definitions", "-p", str(port)], env)


INSPECT_KINDS = ("dsn", "fec", "pivot", "export_csv", "classeur_xlsx", "base_sqlite", "esms_sheet")


@main.command(help="Lit un ou plusieurs fichiers sans rien charger et en affiche un résumé.")
@click.argument("kind", type=click.Choice(INSPECT_KINDS))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Résumé au format JSON (pour les machines).")
def inspect(kind: str, files: tuple[Path, ...], as_json: bool) -> None:
    from pipelines.inspect import inspect_files

    summaries, text = inspect_files(kind, list(files))
    click.echo(json.dumps(summaries, ensure_ascii=False, indent=2, default=str) if as_json else text)
    if any(s.get("erreur") for s in summaries):
        sys.exit(1)


@main.command("esms-template", help="Écrit la fiche ESMS (caractérisation) pré-remplie d'après les sources.")
@click.argument("association")
@click.option("--year", type=int, required=True, help="Année de la fiche.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Classeur à écrire (.xlsx).")
@click.pass_context
def esms_template(ctx: click.Context, association: str, year: int, out: Path | None) -> None:
    from pipelines.esms_template import write_template

    cfg = association_config(ctx, association)
    path = write_template(cfg, year, out or cfg.output_dir / f"fiche_esms_{year}.xlsx")
    click.echo(f"Fiche ESMS écrite : {path}")


@main.command("export-pivot", help="Écrit le modèle commun d'activité de l'association au format pivot.")
@click.argument("association")
@click.argument("folder", type=click.Path(path_type=Path))
@click.pass_context
def export_pivot_command(ctx: click.Context, association: str, folder: Path) -> None:
    from pipelines.export_pivot import export_pivot

    for path in export_pivot(association_config(ctx, association), folder):
        click.echo(str(path))


@main.group(help="Sources de démonstration (associations fictives).")
def demo() -> None:
    pass


@demo.command("generate", help="Génère les sources des associations de démonstration (déterministe).")
@click.option("--out", type=click.Path(path_type=Path), default=PROJECT_ROOT / "output" / "demo-sources",
              show_default=True)
@click.option("--scale", type=int, default=1, show_default=True, help="Multiplie la taille (bancs d'essai).")
@click.option("--seed", type=int, default=2024, show_default=True)
@click.option("--profile", type=click.Choice(["large", "medium", "half", "quarter", "tiny"]), default=None,
              help="Une grande association de banc d'essai (large : 100 ESMS, medium : un cinquième) "
                   "au lieu des trois associations de démonstration.")
def demo_generate(out: Path, scale: int, seed: int, profile: str | None) -> None:
    from pipelines.demo.generate import generate_demo

    if profile:
        from pipelines.demo.profiles import generate_profile

        click.echo(f"configuration : {generate_profile(profile, out, seed=seed)}")
        return
    for assoc_id, folder in generate_demo(out, scale=scale, seed=seed).items():
        click.echo(f"{assoc_id} : {folder}")


@main.command("list", help="Liste les associations configurées.")
@click.pass_context
def list_(ctx: click.Context) -> None:
    for cfg in load_configs(ctx.obj["associations"], ctx.obj["output"]):
        click.echo(f"{cfg.id}\t{cfg.name}\t{cfg.activity_family}\t{cfg.warehouse_path}")


def _register_feature_commands() -> None:
    from pipelines.commands import feature_commands

    for command in feature_commands():
        main.add_command(command)


_register_feature_commands()
