"""The ESMS sheet (données de caractérisation): one workbook or CSV per year, one row per ESMS × mode.

Workbook: sheet ``caracterisation`` (+ optional ``axe4``). CSV: UTF-8, ``;`` or ``,`` (detected), decimal
point or comma; the axe-4 items of a CSV sheet are in a sibling file whose name starts with ``axe4``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.readers.base import (
    BatchBuilder,
    RawRows,
    ReadContext,
    Reject,
    check_encoding,
    flushed,
    open_workbook,
)

KIND = "esms_sheet"
MODES = ("HP", "HT", "AJ", "INT", "SEMI", "EXT", "SERV")

# column -> (arrow type, required). Amounts and counts are decimals (places can be fractional in a budget).
COLUMNS: dict[str, tuple[pa.DataType, bool]] = {
    "finess": (pa.string(), True),
    "year": (pa.int32(), True),
    "category_code": (pa.string(), True),
    "mode": (pa.string(), True),
    "places_autorisees": (pa.float64(), True),
    "places_installees": (pa.float64(), False),
    "places_financees": (pa.float64(), False),
    "jours_ouverture": (pa.float64(), False),
    "journees_financees": (pa.float64(), False),
    "actes_finances": (pa.float64(), False),
    "age_min": (pa.int32(), False),
    "age_max": (pa.int32(), False),
    "places_habilitees_aide_sociale": (pa.float64(), False),
    "beneficiaires_aide_sociale": (pa.float64(), False),
    "gmp_valide": (pa.float64(), False),
    "pmp_valide": (pa.float64(), False),
    "etp_budgetes": (pa.float64(), False),
    # optional additions documented in docs/sources.md
    "etp_budgetes_soins": (pa.float64(), False),
    "etp_budgetes_socio_educatif": (pa.float64(), False),
    "budget_recettes": (pa.float64(), False),
    "budget_depenses": (pa.float64(), False),
    "dotation_soins": (pa.float64(), False),
    "esms_name": (pa.string(), False),
}
REQUIRED = [name for name, (_, required) in COLUMNS.items() if required]
SHEET_SCHEMA = pa.schema([(name, typ) for name, (typ, _) in COLUMNS.items()] + [("_line", pa.int32())])
AXE4_SCHEMA = pa.schema(
    [("finess", pa.string()), ("year", pa.int32()), ("item", pa.string()), ("value", pa.string()), ("_line", pa.int32())]
)
TABLES = {"raw_esms_caracterisation": SHEET_SCHEMA, "raw_esms_axe4": AXE4_SCHEMA}


def discover(folder: Path) -> list[Path]:
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx") and not p.name.startswith("~$"))


def _number(text: str, typ: pa.DataType):
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    value = float(text.replace(",", "."))
    if pa.types.is_integer(typ):
        if value != int(value):
            raise ValueError(text)
        return int(value)
    return value


def _convert(name: str, raw) -> object:
    typ = COLUMNS[name][0]
    if raw is None:
        return None
    if isinstance(raw, dt.datetime | dt.date):
        raise ValueError(str(raw))
    if pa.types.is_string(typ):
        text = str(raw).strip()
        if isinstance(raw, float) and raw == int(raw):
            text = str(int(raw))
        return text or None
    if isinstance(raw, int | float):
        return int(raw) if pa.types.is_integer(typ) else float(raw)
    return _number(str(raw), typ)


def _sheet_rows(header: list[str], rows: Iterator[tuple[int, list]], path: Path) -> Iterator[RawRows | Reject]:
    header = [str(h or "").strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SourceFileError(path, f"colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}", 1)
    index = {name: header.index(name) for name in COLUMNS if name in header}
    builder = BatchBuilder("raw_esms_caracterisation", SHEET_SCHEMA)
    for line, values in rows:
        if all(v in (None, "") for v in values):
            continue
        try:
            record = {}
            for name, pos in index.items():
                raw = values[pos] if pos < len(values) else None
                try:
                    record[name] = _convert(name, raw)
                except ValueError:
                    raise ValueError(f"valeur « {raw} » invalide pour la colonne {name}") from None
            reason = _row_problem(record)
            if reason:
                yield Reject(line, reason, ";".join("" if v is None else str(v) for v in values)[:200])
                continue
        except ValueError as exc:
            yield Reject(line, str(exc), ";".join("" if v is None else str(v) for v in values)[:200])
            continue
        out = builder.add(tuple(record.get(name) for name in COLUMNS) + (line,))
        if out:
            yield out
    yield from flushed([builder])


def _row_problem(record: dict) -> str | None:
    for name in REQUIRED:
        if record.get(name) is None:
            return f"valeur obligatoire absente : {name}"
    finess = record["finess"]
    if len(finess) != 9 or not finess.isalnum():
        return f"FINESS « {finess} » invalide : 9 caractères attendus"
    if record["mode"] not in MODES:
        return f"mode « {record['mode']} » inconnu (attendus : {', '.join(MODES)})"
    if not 2000 <= record["year"] <= 2100:
        return f"année « {record['year']} » invalide"
    for name, value in record.items():
        if isinstance(value, int | float) and name != "year" and value < 0:
            return f"valeur négative pour {name} : {value}"
    if record.get("age_min") is not None and record.get("age_max") is not None and record["age_min"] > record["age_max"]:
        return "age_min est supérieur à age_max"
    return None


def _axe4_rows(header: list[str], rows: Iterator[tuple[int, list]], path: Path) -> Iterator[RawRows | Reject]:
    header = [str(h or "").strip().lower() for h in header]
    for column in ("finess", "year", "item", "value"):
        if column not in header:
            raise SourceFileError(path, f"feuille axe4 : colonne obligatoire absente : {column}", 1)
    pos = [header.index(c) for c in ("finess", "year", "item", "value")]
    builder = BatchBuilder("raw_esms_axe4", AXE4_SCHEMA)
    for line, values in rows:
        if all(v in (None, "") for v in values):
            continue
        finess, year, item, value = (values[p] if p < len(values) else None for p in pos)
        try:
            year = int(float(str(year).replace(",", ".")))
        except ValueError:
            yield Reject(line, f"feuille axe4 : année « {year} » invalide")
            continue
        if value is not None and isinstance(value, float) and value == int(value):
            value = int(value)
        out = builder.add((str(finess).strip(), year, str(item).strip(), None if value in (None, "") else str(value), line))
        if out:
            yield out
    yield from flushed([builder])


def _csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list]]]:
    check_encoding(path, "utf-8-sig")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    delimiter = ";" if first.count(";") >= first.count(",") else ","

    def rows():
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            next(reader, None)
            for row in reader:
                yield reader.line_num, row

    return [h.strip() for h in first.strip("\r\n").split(delimiter)], rows()


def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    path = Path(path)
    if path.stat().st_size == 0:
        raise SourceFileError(path, "fichier vide")
    if path.suffix.lower() == ".xlsx":
        yield from _read_workbook(path)
        return
    header, rows = _csv_rows(path)
    if path.name.lower().startswith("axe4"):
        yield from _axe4_rows(header, rows, path)
    else:
        yield from _sheet_rows(header, rows, path)


def _read_workbook(path: Path) -> Iterator[RawRows | Reject]:
    workbook = open_workbook(path)
    names = workbook.sheet_names
    if "caracterisation" not in names:
        raise SourceFileError(path, f"feuille « caracterisation » absente (feuilles trouvées : {', '.join(names)})")
    for sheet, parse in (("caracterisation", _sheet_rows), ("axe4", _axe4_rows)):
        if sheet not in names:
            continue
        data = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        if not data:
            continue
        rows = ((i, [None if v == "" else v for v in row]) for i, row in enumerate(data[1:], start=2))
        yield from parse(list(data[0]), rows, path)
