"""`tdbms esms-template`: the ESMS sheet of a year, pre-filled with what the sources already tell.

Rows come from the latest sheet already loaded (values of the previous year carried over, to review) and
from the ESMS × modes seen in the activity data and the FINESS named in the configuration; what no source
can tell is left empty for the association to fill.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from pipelines.config import SIEGE, AssociationConfig
from pipelines.readers.esms_sheet import COLUMNS, REQUIRED

AXE4_ITEMS = ("dossiers_informatises", "projets_informatises", "energie_kwh", "superficie_m2")


def _known_rows(cfg: AssociationConfig, year: int) -> list[dict]:
    if not cfg.warehouse_path.exists():
        return []
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        previous = []
        if "stg_esms__caracterisation" in tables:
            cursor = con.execute(
                "select * from stg_esms__caracterisation where year = "
                "(select max(year) from stg_esms__caracterisation where year <= ?) order by finess, mode",
                [year],
            )
            names = [d[0] for d in cursor.description]
            previous = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        seen = []
        if "int_stays" in tables:
            seen = con.execute(
                "select distinct finess, mode from int_stays where year(entry_date) <= ? "
                "and (exit_date is null or year(exit_date) >= ?) order by 1, 2",
                [year, year],
            ).fetchall()
    finally:
        con.close()
    rows = {(r["finess"], r["mode"]): {c: r.get(c) for c in COLUMNS} | {"year": year} for r in previous}
    for finess, mode in seen:
        rows.setdefault((finess, mode), {"finess": finess, "year": year, "mode": mode})
    return list(rows.values())


def write_template(cfg: AssociationConfig, year: int, out: Path) -> Path:
    rows = _known_rows(cfg, year)
    listed = {r["finess"] for r in rows}
    configured = set(cfg.dsn_establishments.values()) | {f for f in cfg.fec_dossiers.values() if f != SIEGE}
    rows += [{"finess": f, "year": year} for f in sorted(configured - listed)]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "caracterisation"
    sheet.append(list(COLUMNS))
    bold, required_fill = Font(bold=True), PatternFill("solid", fgColor="FFE699")
    for cell in sheet[1]:
        cell.font = bold
        if cell.value in REQUIRED:
            cell.fill = required_fill
            cell.comment = Comment("Obligatoire", "tdbms")
    for row in sorted(rows, key=lambda r: (r["finess"], r.get("mode") or "")):
        sheet.append([row.get(c) for c in COLUMNS])
    axe4 = workbook.create_sheet("axe4")
    axe4.append(["finess", "year", "item", "value"])
    for finess in sorted({r["finess"] for r in rows}):
        for item in AXE4_ITEMS:
            axe4.append([finess, year, item, None])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out
