"""`tdbms definitions impact`: what moving from one release of the definitions to another changes in the
association's own values, before it adopts the change — without pooling anything.

Both releases are computed on copies of the association's warehouse (its sources as last loaded), each
transformed by dbt with that release's vars, in <outputs>/impact/<A>_vers_<B>/entrepots/<release>/; the
real warehouse is only read (under the run lock, so that no run writes it meanwhile). The report lists
every value (ESMS × period × indicator × class) whose value or status differs, side by side, with the
change-log entries of the releases in between that name the indicator: terminal table, CSV, XLSX and an
HTML page. `--share` adds the aggregated summary for the cooperation committee: per indicator, how many
ESMS change and by how much, over the annual values that `tdbms share` would publish (same small-cell
suppression), no FINESS and no person-level data.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font

from pipelines import PROJECT_ROOT
from pipelines.config import AssociationConfig
from pipelines.dbt import run_dbt
from pipelines.errors import TdbmsError
from pipelines.outputs import display_value, rows, status_label
from pipelines.releases import Change, Release, entries_between, get_release, release_defaults
from pipelines.run import run_lock
from pipelines.settings import validate_settings

KEY = ("finess", "indicator_code", "period_type", "year", "month", "breakdown")  # one value of fct_indicator_values
TOLERANCE = 1e-9  # double sums may differ in their last bits between two runs
PERIOD_NAMES = {"year": "année", "month": "mois", "ytd": "cumul à fin de mois"}
HEADERS = ("Indicateur", "Libellé", "FINESS", "ESMS", "Période", "Classe", "Valeur {a}", "Valeur {b}", "Écart",
           "Statut {a}", "Statut {b}", "Explication (journal des versions)")
NO_ENTRY = "Aucune entrée du journal des versions ne cite cet indicateur : écart à signaler au comité."


def pinned(cfg: AssociationConfig, version: str, output_root: Path) -> AssociationConfig:
    """The association as if its configuration named `version`: that release's setting defaults with the
    association's own [settings] over them, outputs under `output_root`."""
    release = get_release(version)
    settings = validate_settings(cfg.setting_overrides, cfg.config_path, release_defaults(release))
    return dataclasses.replace(cfg, release=release.version, settings=settings,
                               output_dir=Path(output_root).resolve() / cfg.id)


def copy_warehouse(cfg: AssociationConfig, version: str, folder: Path) -> AssociationConfig:
    """The association pinned to `version`, on a copy of its warehouse in folder/<version>/<id>/."""
    copy = pinned(cfg, version, folder / version)
    shutil.rmtree(copy.output_dir, ignore_errors=True)
    copy.output_dir.mkdir(parents=True)
    shutil.copyfile(cfg.warehouse_path, copy.warehouse_path)
    return copy


def transform_copy(copy: AssociationConfig) -> AssociationConfig:
    """Seeds and models of the copy's release (its data tests are the real run's business)."""
    run_dbt(copy, ["build", "--resource-type", "seed", "--resource-type", "model"])
    return copy


def impact_folder(cfg: AssociationConfig, old: str, new: str) -> Path:
    return cfg.output_dir / "impact" / f"{old}_vers_{new}"


@dataclasses.dataclass
class Impact:
    association: AssociationConfig
    old: Release
    new: Release
    differences: list[dict]  # one per value that differs, in report order
    unchanged: int  # values equal in both releases
    old_cfg: AssociationConfig
    new_cfg: AssociationConfig

    def explanation(self, code: str) -> str:
        entries = [f"{release.version} : {change.reason} (norme : {change.norm}"
                   + (f" ; décisions {', '.join(change.decisions)})" if change.decisions else ")")
                   for release, change in self.entries if change.touches(code)]
        return " | ".join(entries) or NO_ENTRY

    @property
    def entries(self) -> list[tuple[Release, Change]]:
        return entries_between(self.old.version, self.new.version)

    def table(self) -> list[list]:
        return [[d["indicator_code"], d["short_label"], d["finess"], d["esms_name"], period_text(d), d["breakdown"],
                 d["old_value"], d["new_value"], d["difference"], status_label(d["old_status"]),
                 status_label(d["new_status"]), self.explanation(d["indicator_code"])] for d in self.differences]

    def headers(self) -> list[str]:
        return [h.format(a=self.old.version, b=self.new.version) for h in HEADERS]


def period_text(row: dict) -> str:
    if row["period_type"] == "year":
        return str(row["year"])
    return f"{PERIOD_NAMES.get(row['period_type'], row['period_type'])} {row['year']}-{row['month']:02d}"


def _differences(old: Path, new: Path) -> tuple[list[dict], int]:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{old}' as old (read_only)")
        con.execute(f"attach '{new}' as new (read_only)")
        found = rows(con, f"""
            with joined as (
                select {', '.join(f"coalesce(a.{k}, b.{k}) as {k}" for k in KEY)},
                       a.value as old_value, b.value as new_value, a.status as old_status, b.status as new_status
                from old.fct_indicator_values as a
                full join new.fct_indicator_values as b
                  on {' and '.join(f"a.{k} is not distinct from b.{k}" for k in KEY)}
            )
            select joined.*, new_value - old_value as difference,
                   coalesce(definitions.short_label, joined.indicator_code) as short_label,
                   coalesce(definitions.unit, '') as unit, coalesce(esms.esms_name, joined.finess) as esms_name,
                   (old_value is null) <> (new_value is null) or abs(new_value - old_value) > {TOLERANCE}
                       or old_status is distinct from new_status as differs
            from joined
            left join new.dim_indicators as definitions on definitions.code = joined.indicator_code
            left join (select distinct finess, esms_name from new.int_esms
                       qualify row_number() over (partition by finess order by year desc) = 1) as esms
                   on esms.finess = joined.finess
            order by indicator_code, finess, year, period_type <> 'year', period_type, month, breakdown nulls first""")
    finally:
        con.close()
    return [r for r in found if r["differs"]], sum(not r["differs"] for r in found)


def compute_impact(cfg: AssociationConfig, old: str, new: str) -> Impact:
    """Both releases on copies of the association's warehouse, and the values that differ."""
    old_release, new_release = get_release(old), get_release(new)  # refused in French before any work
    if not cfg.warehouse_path.exists():
        raise TdbmsError(f"{cfg.warehouse_path} : entrepôt absent, lancez d'abord `tdbms run {cfg.id}` : "
                         "l'impact se calcule sur les données de l'association.")
    folder = impact_folder(cfg, old_release.version, new_release.version) / "entrepots"
    with run_lock(cfg):  # a consistent copy: no run of the association writes its warehouse meanwhile
        copies = [copy_warehouse(cfg, v, folder) for v in dict.fromkeys((old_release.version, new_release.version))]
    done = [transform_copy(c) for c in copies]  # one copy when both releases are the same
    old_cfg, new_cfg = done[0], done[-1]
    differences, unchanged = _differences(old_cfg.warehouse_path, new_cfg.warehouse_path)
    return Impact(cfg, old_release, new_release, differences, unchanged, old_cfg, new_cfg)


# -- report ----------------------------------------------------------------------------------------------


def _shown(value, unit: str) -> str:
    return display_value(value, unit) if isinstance(value, float) else ("—" if value is None else str(value))


def terminal_text(impact: Impact, limit: int = 40) -> str:
    a, b = impact.old.version, impact.new.version
    lines = [f"Impact du passage des définitions {a} à {b} — association {impact.association.id}",
             f"{len(impact.differences)} valeur(s) changent, {impact.unchanged} restent identiques."]
    if not impact.differences:
        return "\n".join(lines)
    annual = [d for d in impact.differences if d["period_type"] == "year"]
    header = ["Indicateur", "ESMS", "Période", "Classe", a, b, "Écart"]
    cells = [[d["indicator_code"], f"{d['finess']} {d['esms_name']}", period_text(d), d["breakdown"] or "",
              _shown(d["old_value"], d["unit"]), _shown(d["new_value"], d["unit"]),
              _shown(d["difference"], d["unit"])] for d in annual[:limit]]
    widths = [max(len(str(row[i])) for row in [header, *cells]) for i in range(len(header))]
    lines += ["", "Valeurs annuelles qui changent :"]
    lines += ["  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in [header, *cells]]
    if len(annual) > limit:
        lines.append(f"  … et {len(annual) - limit} autre(s) valeur(s) annuelle(s) (voir le fichier CSV).")
    if len(impact.differences) > len(annual):
        lines.append(f"{len(impact.differences) - len(annual)} valeur(s) mensuelle(s) ou cumulée(s) changent aussi "
                     "(fichier CSV).")
    lines += ["", "Pourquoi (journal des versions) :"]
    for code in sorted({d["indicator_code"] for d in impact.differences}):
        lines.append(f"  {code} : {impact.explanation(code)}")
    return "\n".join(lines)


def write_report(impact: Impact) -> list[Path]:
    """impact.csv, impact.xlsx and impact.html in <outputs>/impact/<A>_vers_<B>/."""
    folder = impact_folder(impact.association, impact.old.version, impact.new.version)
    folder.mkdir(parents=True, exist_ok=True)
    table = [impact.headers(), *impact.table()]
    csv_path = folder / "impact.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(
            [["" if v is None else str(v).replace(".", ",") if isinstance(v, float) else v for v in row]
             for row in table])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Impact"
    for row in table:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet("À propos")
    for row in _about(impact):
        about.append(row)
    xlsx_path = folder / "impact.xlsx"
    workbook.save(xlsx_path)
    html_path = folder / "impact.html"
    html_path.write_text(_html(impact), encoding="utf-8")
    return [csv_path, xlsx_path, html_path]


def _about(impact: Impact) -> list[list]:
    cfg = impact.association
    return [["Association", f"{cfg.name} ({cfg.id})"],
            ["Versions comparées", f"{impact.old.version} → {impact.new.version}"],
            ["Version de l'association", cfg.release],
            ["Paramètres locaux", "; ".join(f"{k} = {v}" for k, v in cfg.setting_overrides.items()) or "aucun"],
            ["Généré le", dt.datetime.now().strftime("%d/%m/%Y %H:%M")],
            ["Valeurs qui changent", len(impact.differences)], ["Valeurs identiques", impact.unchanged],
            ["Lecture", "Une ligne par valeur (ESMS × période × indicateur × classe) dont la valeur ou le statut "
                        "diffère ; les taux sont des fractions (0,25 = 25 %)."]]


def _html(impact: Impact) -> str:
    env = Environment(loader=FileSystemLoader(PROJECT_ROOT / "dashboards" / "templates"),
                      autoescape=select_autoescape(), trim_blocks=True, lstrip_blocks=True)
    stylesheet = (PROJECT_ROOT / "dashboards" / "static" / "site.css").read_text(encoding="utf-8")
    rows_shown = [dict(d, period=period_text(d), old=_shown(d["old_value"], d["unit"]),
                       new=_shown(d["new_value"], d["unit"]), diff=_shown(d["difference"], d["unit"]),
                       old_status=status_label(d["old_status"]), new_status=status_label(d["new_status"]))
                  for d in impact.differences]
    codes = sorted({d["indicator_code"] for d in impact.differences})
    return env.get_template("impact.html.j2").render(
        impact=impact, rows=rows_shown, about=_about(impact), stylesheet=stylesheet,
        explanations={code: impact.explanation(code) for code in codes})


# -- summary for the cooperation committee ----------------------------------------------------------------


def share_summary(impact: Impact, year: int) -> dict:
    """Per indicator and class, over the annual values both releases would publish with `tdbms share`."""
    from pipelines.share import SMALL_CELL, build_share

    old, new = (build_share(c, year) for c in (impact.old_cfg, impact.new_cfg))
    key = lambda v: (v["esms"], v["indicateur"], v["classe"])  # noqa: E731
    before = {key(v): v for v in old["valeurs"]}
    groups: dict[tuple, list[float]] = {}
    for v in new["valeurs"]:
        if key(v) in before and not v["indicateur_local"]:
            groups.setdefault((v["indicateur"], v["classe"]), []).append(v["valeur"] - before[key(v)]["valeur"])
    summary = []
    for (code, classe), gaps in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        changed = [g for g in gaps if abs(g) > TOLERANCE]
        summary.append({"indicateur": code, "classe": classe, "esms_compares": len(gaps), "esms_changes": len(changed),
                        "ecart_moyen": sum(changed) / len(changed) if changed else 0.0,
                        "ecart_min": min(changed, default=0.0), "ecart_max": max(changed, default=0.0),
                        "explication": impact.explanation(code) if changed else None})
    return {"format": "tdbms-impact-partage", "version_format": 1,
            "genere_le": dt.datetime.now().isoformat(timespec="seconds"),
            "association": {"id": impact.association.id, "nom": impact.association.name},
            "annee": year, "de": impact.old.version, "vers": impact.new.version, "seuil_secret": SMALL_CELL,
            "lecture": "Par indicateur (et classe) : ESMS dont la valeur annuelle serait publiée (tdbms share, "
                       "petites cellules masquées) dans les deux versions, combien changent, et de combien (écart "
                       "= nouvelle - ancienne, taux en fraction). Aucune donnée individuelle ni FINESS.",
            "indicateurs": [s for s in summary if s["esms_changes"]],
            "indicateurs_inchanges": sorted({s["indicateur"] for s in summary} - {s["indicateur"] for s in summary
                                                                                  if s["esms_changes"]})}


def write_share_summary(impact: Impact, year: int) -> Path:
    path = impact_folder(impact.association, impact.old.version, impact.new.version) / f"impact_partage_{year}.json"
    path.write_text(json.dumps(share_summary(impact, year), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
