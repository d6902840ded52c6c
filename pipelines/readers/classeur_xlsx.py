"""Family 2 `classeur_xlsx`: monthly billing workbooks `facturation_AAAA-MM.xlsx` (activity_sources.md, family 2).

Four sheets (Residents, Mouvements, Journees, Evaluations), header on row 1, real Excel dates, short vendor
codes kept as delivered (seeds/mappings/classeur_xlsx__codes.csv maps them). The workbook month is kept on
every row: staging keeps, for each month, the workbook delivered last for it (AC-22). The trailing `TOTAL`
row of Journees is not a person. Rows are streamed with python-calamine.

`read_records` turns typed rows (spreadsheet cells, database values) into raw rows with the csv_table
column specs; base_sqlite uses it too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import SourceFileError
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers.base import (
    BATCH_ROWS,
    BatchBuilder,
    RawRows,
    ReadContext,
    Reject,
    flushed,
    open_workbook,
)
from pipelines.readers.csv_table import (
    UNUSUAL,
    Column,
    TableSpec,
    arrow_rows,
    check_header,
    checked_columns,
    parse_choice,
    parse_finess,
    parse_int_range,
    parse_yes_no,
)

KIND = "classeur_xlsx"
FILE_PATTERN = re.compile(r"^facturation_(\d{4})-(\d{2})\.xlsx$", re.IGNORECASE)
TOTAL_LABEL = "TOTAL"

RowCheck = Callable[[dict, Sequence], "str | None"]


# --- typed rows → raw rows (shared with base_sqlite) ---

def cell_value(value: object, keep_date: bool = False) -> object:
    """A cell or database value as the column parsers expect it: None when empty, a date kept as a date for a
    date column, anything else as stripped text (integral numbers without their `.0`)."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value if keep_date else value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def parse_excel_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"« {value} » n'est pas une date Excel (une cellule au format date est attendue)")


def _parse(column: Column, value: object) -> object:
    try:
        return column.parse(value) if column.parse else value
    except ValueError as exc:
        detail = str(exc)
        if not detail or detail.startswith(("invalid", "day is", "month must")):
            detail = f"valeur « {value} » invalide"
        raise ValueError(f"colonne « {column.header} » : {detail}") from None


def read_records(
    spec: TableSpec, rows: Iterable[tuple[int, Sequence]], positions: Sequence[int], pseudonymiser: Pseudonymiser,
    *, where: str, constants: tuple[tuple[str, pa.DataType, object], ...] = (), check: RowCheck | None = None,
) -> Iterator[RawRows | Reject]:
    """Parse typed rows `(line, values)` whose declared columns sit at `positions`; yield batches and rejects.
    `where` names the sheet or table in reasons; `check(record, values)` is a cross-field check after parsing;
    `constants` = (name, type, value) columns put first on every row. When every rule has its Arrow form, each
    chunk of rows is checked column by column and only the rows a rule doubts are parsed one by one."""
    if not (spec.vectorised and (check is None or hasattr(check, "vector"))):
        yield from _record_by_record(spec, rows, positions, pseudonymiser, where, constants, check)
        return
    rows = iter(rows)
    while chunk := list(islice(rows, BATCH_ROWS)):
        width = min(len(values) for _, values in chunk)
        columns = list(zip(*(values for _, values in chunk), strict=False)) if width > max(positions) else []
        if not columns:
            yield from _record_by_record(spec, chunk, positions, pseudonymiser, where, constants, check)
            continue
        good = np.ones(len(chunk), dtype=bool)
        texts = [_arrow_text(columns[position], good) for position in positions]
        values = checked_columns(spec, texts, good)
        if check is not None:
            good &= ~np.asarray(check.vector(values, columns))
        if good.any():
            numbers = np.fromiter((line for line, _ in chunk), dtype=np.int32, count=len(chunk))
            yield arrow_rows(spec, values, good, numbers, constants, pseudonymiser)
        doubted = [chunk[index] for index in np.flatnonzero(~good)]
        yield from _record_by_record(spec, doubted, positions, pseudonymiser, where, constants, check)


# Characters str.strip() removes besides space and tab (a typed cell may hold any of them).
STRIPPED_EDGE = f"^[\\s\\x0b\\x1c-\\x1f]|^{UNUSUAL}|[\\s\\x0b\\x1c-\\x1f]$|{UNUSUAL}$"


def _arrow_text(cells: tuple, good: np.ndarray) -> pa.Array:
    """Typed cells as `cell_value` gives them, as Arrow text ("" for empty); `good` loses the rows whose cell
    is not plainly text, an integer, a whole float or a boolean, or whose text has a stripped edge character."""
    try:
        array = pa.array(cells)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        try:  # empty text beside numbers
            array = pa.array([None if cell == "" else cell for cell in cells])
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed types: each row says what it holds
            good[:] = False
            return pa.array([""] * len(cells))
    kind = array.type
    if pa.types.is_floating(kind):
        whole = pc.fill_null(pc.and_(pc.is_finite(array), pc.less(pc.abs(array), 2.0**53)), True)
        whole = pc.and_(whole, pc.fill_null(pc.equal(pc.floor(array), array), True))
        good &= np.asarray(whole)
        array = pc.if_else(whole, array, 0).cast(pa.int64())
    if pa.types.is_string(kind):
        good &= ~np.asarray(pc.fill_null(pc.match_substring_regex(array, STRIPPED_EDGE), False))
    elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
              or pa.types.is_null(kind)):
        good &= np.asarray(pc.is_null(array))  # a date or a time outside a date column
    text = pc.ascii_trim(array.cast(pa.string()), characters=" \t") if not pa.types.is_null(kind) else array
    return pc.fill_null(text.cast(pa.string()), "")


def _record_by_record(
    spec: TableSpec, rows: Iterable[tuple[int, Sequence]], positions: Sequence[int], pseudonymiser: Pseudonymiser,
    where: str, constants: tuple[tuple[str, pa.DataType, object], ...], check: RowCheck | None,
) -> Iterator[RawRows | Reject]:
    """The reference rules, row by row: the only place their reasons are written."""
    schema = pa.schema([*[(name, typ) for name, typ, _ in constants], *spec.schema])
    fixed = tuple(value for _, _, value in constants)
    builder = BatchBuilder(spec.table, schema)
    kept = [c for c in spec.columns if not c.drop]
    for line, values in rows:
        cells = [values[p] if p < len(values) else None for p in positions]
        record, reason = {}, None
        for column, raw in zip(spec.columns, cells, strict=True):
            if column.drop:
                continue
            value = cell_value(raw, keep_date=column.type == pa.date32())
            if value is None:
                if column.required:
                    reason = f"valeur obligatoire absente : « {column.header} »"
                    break
                record[column.name] = None
            elif column.pseudonymise:
                record[column.name] = pseudonymiser.key(value, column.pseudonymise)
            else:
                try:
                    record[column.name] = _parse(column, value)
                except ValueError as exc:
                    reason = str(exc)
                    break
        if reason is None:
            reason = (spec.row_check and spec.row_check(record)) or (check and check(record, values))
        if reason:
            yield Reject(line, f"{where} : {reason}", _excerpt(spec, cells))
            continue
        if out := builder.add((*fixed, *(record[c.name] for c in kept), line)):
            yield out
    yield from flushed([builder])


def _excerpt(spec: TableSpec, cells: list) -> str:
    """The rejected row without its identity columns (names, NIR and vendor ids never reach the rejects table)."""
    shown = [cell_value(v) or "" for c, v in zip(spec.columns, cells, strict=True) if not c.drop and not c.pseudonymise]
    return ";".join(str(v) for v in shown)[:200]


# --- the workbook ---

S, D, B, I = pa.string(), pa.date32(), pa.bool_(), pa.int32()
DAYS = parse_int_range(0, 31)
SPECS = (  # TableSpec.file_name holds the sheet name
    TableSpec("Residents", "raw_classeur_xlsx_residents", (
        Column("IdResident", "person_key", S, required=True, pseudonymise="person"),
        Column("NomUsage", "", S, drop=True),
        Column("Prenom", "", S, drop=True),
        Column("Sexe", "sex_code", S, parse_choice("1", "2")),
        Column("DateNaissance", "birth_date", D, parse_excel_date),
        Column("Deficience", "main_deficiency_code", S),
        Column("DeficiencesAssociees", "associated_deficiency_codes", S),
        Column("GIR", "gir", I, parse_int_range(1, 6)),
        Column("ProtectionJuridique", "protection", B, parse_yes_no),
    )),
    TableSpec("Mouvements", "raw_classeur_xlsx_mouvements", (
        Column("IdResident", "person_key", S, required=True, pseudonymise="person"),
        Column("Finess", "finess", S, parse_finess, required=True),
        Column("TypeMouvement", "movement_type", S, parse_choice("E", "S"), required=True),
        Column("DateMouvement", "movement_date", D, parse_excel_date, required=True),
        Column("Mode", "mode_code", S, required=True),
        Column("Provenance", "provenance_code", S),
        Column("MotifSortie", "exit_motive_code", S),
    )),
    TableSpec("Journees", "raw_classeur_xlsx_journees", (
        Column("IdResident", "person_key", S, required=True, pseudonymise="person"),
        Column("Finess", "finess", S, parse_finess, required=True),
        Column("Mode", "mode_code", S, required=True),
        Column("DateEntree", "entry_date", D, parse_excel_date, required=True),
        Column("JoursPresence", "present_days", I, DAYS),
        Column("JoursAbsenceHospit", "absent_hospital_days", I, DAYS),
        Column("JoursAbsenceAutre", "absent_other_days", I, DAYS),
    )),
    TableSpec("Evaluations", "raw_classeur_xlsx_evaluations", (
        Column("IdResident", "person_key", S, required=True, pseudonymise="person"),
        Column("DateEvaluation", "assessed_on", D, parse_excel_date, required=True),
        Column("GIR", "gir", I, parse_int_range(1, 6)),
        Column("PointsPathos", "pathos_points", I, parse_int_range(0, 9999)),
    )),
)
SPEC_BY_SHEET = {spec.file_name: spec for spec in SPECS}
MONTH_COLUMN = ("workbook_month", pa.date32())
TABLES = {spec.table: pa.schema([MONTH_COLUMN, *spec.schema]) for spec in SPECS}


def workbook_month(path: Path) -> dt.date:
    match = FILE_PATTERN.match(path.name)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise SourceFileError(path, "le nom du classeur ne suit pas le modèle attendu facturation_AAAA-MM.xlsx")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def discover(folder: Path) -> list[Path]:
    """The workbooks of the folder, then those of each sub-folder (re-deliveries) in name order."""
    folder = Path(folder)
    deliveries = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
    return [p for d in deliveries for p in sorted(d.iterdir()) if p.is_file() and FILE_PATTERN.match(p.name)]


class _Sheet:
    """One sheet: its header checked against the spec, its rows numbered as in Excel (empty rows skipped)."""

    def __init__(self, path: Path, workbook, spec: TableSpec):
        self.spec, self.name = spec, spec.file_name
        self._sheet = workbook.get_sheet_by_name(self.name)
        rows = self._sheet.iter_rows()
        header, start = next(rows, None), self._sheet.start
        if header is None or start is None:
            raise SourceFileError(path, f"feuille « {self.name} » vide : la ligne d'en-tête manque", 1)
        if start[0] != 0:
            raise SourceFileError(path, f"feuille « {self.name} » : l'en-tête doit être en ligne 1", start[0] + 1)
        try:
            self.positions = check_header(path, [cell_value(h) or "" for h in header], spec)
        except SourceFileError as exc:
            raise SourceFileError(path, f"feuille « {self.name} » : {exc.reason}", 1) from None
        self.at = {c.name: p for c, p in zip(spec.columns, self.positions, strict=True) if c.name}

    def rows(self) -> Iterator[tuple[int, list]]:
        rows = self._sheet.iter_rows()
        next(rows, None)
        for number, values in enumerate(rows, start=2):
            if any(v not in (None, "") for v in values):
                yield number, values

    def cell(self, values: Sequence, name: str, keep_date: bool = False) -> object:
        position = self.at[name]
        return cell_value(values[position] if position < len(values) else None, keep_date)


def _entries(journees: _Sheet, mouvements: _Sheet) -> dict[tuple, dt.date]:
    """First entry known in the workbook per person × FINESS × mode (Journees.DateEntree, `E` movements)."""
    first: dict[tuple, dt.date] = {}
    for sheet, date_column in ((journees, "entry_date"), (mouvements, "movement_date")):
        for _, values in sheet.rows():
            if sheet is mouvements and sheet.cell(values, "movement_type") != "E":
                continue
            day = sheet.cell(values, date_column, keep_date=True)
            if isinstance(day, dt.date):
                day = parse_excel_date(day)
                key = tuple(sheet.cell(values, c) for c in ("person_key", "finess", "mode_code"))
                first[key] = min(first.get(key, day), day)
    return first


def _exit_check(month: dt.date, mouvements: _Sheet, entries: dict[tuple, dt.date]) -> RowCheck:
    """An exit needs an entry on or before it. A stay that covers a day of the month is billed in Journees, so
    an exit after the 1st with no earlier entry in the workbook is an exit before the entry."""

    def check(record: dict, values: Sequence) -> str | None:
        day = record["movement_date"]
        if record["movement_type"] != "S" or day <= month:
            return None
        first = entries.get(tuple(mouvements.cell(values, c) for c in ("person_key", "finess", "mode_code")))
        if first is not None and first <= day:
            return None
        known = f"première entrée du classeur : {first:%d/%m/%Y}" if first else "aucune entrée dans le classeur"
        return f"sortie du {day:%d/%m/%Y} antérieure à l'entrée de la personne dans cet ESMS et ce mode ({known})"

    return check


def _billed_days_check(month: dt.date) -> RowCheck:
    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)

    def check(record: dict, values: Sequence) -> str | None:
        entry = record["entry_date"]
        if entry > month_end:
            return f"date d'entrée ({entry:%d/%m/%Y}) postérieure au mois facturé ({month:%m/%Y})"
        available = (month_end - max(entry, month)).days + 1
        billed = sum(record[c] or 0 for c in ("present_days", "absent_hospital_days", "absent_other_days"))
        if billed > available:
            return (f"{billed} journées facturées (présence et absences) pour {available} jour(s) "
                    f"entre l'entrée et la fin du mois")
        return None

    return check


def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    path = Path(path)
    month = workbook_month(path)
    workbook = open_workbook(path)
    try:
        names = workbook.sheet_names
        missing = [name for name in SPEC_BY_SHEET if name not in names]
        if missing:
            raise SourceFileError(
                path, f"feuille(s) absente(s) ou renommée(s) : {', '.join(missing)} "
                f"(feuilles trouvées : {', '.join(names) or 'aucune'} ; attendues : {', '.join(SPEC_BY_SHEET)})",
            )
        sheets = {name: _Sheet(path, workbook, spec) for name, spec in SPEC_BY_SHEET.items()}
        journees, mouvements = sheets["Journees"], sheets["Mouvements"]
        checks = {
            "Mouvements": _exit_check(month, mouvements, _entries(journees, mouvements)),
            "Journees": _billed_days_check(month),
        }
        constants = ((*MONTH_COLUMN, month),)
        for name, sheet in sheets.items():
            rows = sheet.rows()
            if sheet is journees:  # the closing TOTAL row is not a person
                rows = ((n, v) for n, v in rows if str(sheet.cell(v, "person_key") or "").upper() != TOTAL_LABEL)
            yield from read_records(
                sheet.spec, rows, sheet.positions, context.pseudonymiser,
                where=f"feuille {name}", constants=constants, check=checks.get(name),
            )
    finally:
        workbook.close()
