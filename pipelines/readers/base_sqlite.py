"""Family 3 `base_sqlite`: the vendor's SQLite database (activity_sources.md, family 3).

Read with the standard library only, read-only (`file:…?mode=ro`). Each source table becomes a raw table
`raw_base_sqlite_<table>`, streamed from a cursor; `_line` is the row's rank in the table (rowid order):
the vendor's primary keys of persons are identifiers and never leave the reader in clear. Names and NIR
(`last_name`, `first_name`, `ssn`) are never even selected. Codes are kept as delivered: the seed
seeds/mappings/base_sqlite__codes.csv maps them (déficiences by their label, never by the code order).
Stays and absence periods are rebuilt from the movement stream in staging (SQL). The newest file replaces
the previous one whole (AC-22): staging keeps the rows of the latest file loaded.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import SourceFileError
from pipelines.readers.base import RawRows, ReadContext, Reject, library_message
from pipelines.readers.classeur_xlsx import RowCheck, read_records
from pipelines.readers.csv_table import (
    Column,
    TableSpec,
    arrow_form,
    parse_choice,
    parse_date_iso,
    parse_finess,
    parse_int_range,
    parse_yes_no,
)

KIND = "base_sqlite"
SUFFIXES = (".sqlite", ".sqlite3", ".db")
MOVEMENT_TYPES = ("ADM", "DIS", "HOSP_OUT", "HOSP_IN", "LEAVE_OUT", "LEAVE_IN")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@arrow_form(parse_date_iso.vector)  # its shape is this rule's shape
def parse_iso_date(text: str) -> dt.date:
    if not ISO_DATE.match(text):
        raise ValueError(f"date « {text} » invalide (format attendu AAAA-MM-JJ)")
    return parse_date_iso(text)


S, D, B, I, L = pa.string(), pa.date32(), pa.bool_(), pa.int32(), pa.int64()
ID = parse_int_range(0, 2**62)
PERSON = Column("patient_id", "person_key", S, required=True, pseudonymise="person")
FACILITY = Column("facility_id", "facility_id", L, ID, required=True)
SPECS = (  # TableSpec.file_name holds the source table's name
    TableSpec("facility", "raw_base_sqlite_facility", (
        FACILITY,
        Column("finess", "finess", S, parse_finess, required=True),
        Column("name", "name", S),
    )),
    TableSpec("disability", "raw_base_sqlite_disability", (
        Column("code", "code", S, required=True),
        Column("label", "label", S),
    )),
    TableSpec("patient", "raw_base_sqlite_patient", (
        PERSON,
        Column("gender", "sex", S, parse_choice("M", "F")),
        Column("birth_date", "birth_date", D, parse_iso_date),
        Column("main_disability_code", "main_disability_code", S),
        Column("protection", "protection", B, parse_yes_no),
    )),
    TableSpec("patient_disability", "raw_base_sqlite_patient_disability", (
        PERSON,
        Column("disability_code", "disability_code", S, required=True),
    )),
    TableSpec("movement", "raw_base_sqlite_movement", (
        Column("movement_id", "movement_id", L, ID, required=True),
        PERSON,
        FACILITY,
        Column("movement_date", "movement_date", D, parse_iso_date, required=True),
        Column("movement_type", "movement_type", S, parse_choice(*MOVEMENT_TYPES), required=True),
        Column("care_mode", "care_mode", S),
        Column("origin", "origin", S),
        Column("reason", "reason", S),
    )),
    TableSpec("dependency_assessment", "raw_base_sqlite_dependency_assessment", (
        PERSON,
        Column("assessed_on", "assessed_on", D, parse_iso_date, required=True),
        Column("gir", "gir", I, parse_int_range(1, 6)),
        Column("pathos_points", "pathos_points", I, parse_int_range(0, 9999)),
    )),
    TableSpec("appointment", "raw_base_sqlite_appointment", (
        Column("appointment_id", "act_key", S, required=True, pseudonymise="act"),
        PERSON,
        FACILITY,
        Column("scheduled_on", "day", D, parse_iso_date, required=True),
        Column("status", "status", S, required=True),
        Column("kind", "kind", S),
    )),
    TableSpec("attendance", "raw_base_sqlite_attendance", (
        PERSON,
        FACILITY,
        Column("attended_on", "day", D, parse_iso_date, required=True),
    )),
)
TABLES = {spec.table: spec.schema for spec in SPECS}

# Facts computed by SQLite beside each row, for the checks that need other rows (name → SQL expression).
FACILITY_KNOWN = "exists (select 1 from facility as f where f.facility_id = t.facility_id)"
FIRST_ADMISSION = (
    "min(case when movement_type = 'ADM' and movement_date glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
    "then movement_date end) over (partition by patient_id, facility_id)"
)
SQL_FACTS = {
    "movement": {"facility_known": FACILITY_KNOWN, "first_admission": FIRST_ADMISSION},
    "appointment": {"facility_known": FACILITY_KNOWN},
    "attendance": {"facility_known": FACILITY_KNOWN},
}


def _french_date(text: str) -> str:
    try:
        return f"{parse_iso_date(text):%d/%m/%Y}"
    except ValueError:
        return text


def _check(spec: TableSpec) -> RowCheck | None:
    names = list(SQL_FACTS.get(spec.file_name, {}))
    if not names:
        return None
    width = len(spec.columns)

    def vector(columns: dict[str, pa.Array], cells: list[tuple]) -> pa.Array:
        """The rows `check` refuses, from the parsed columns and the row's cells (the facts follow the columns)."""
        computed = {name: pa.array(facts) for name, facts in zip(names, cells[width:], strict=True)}
        refused = pc.fill_null(pc.equal(computed["facility_known"], 0), False)
        if "first_admission" in computed:
            first = computed["first_admission"].cast(pa.string())
            before = pc.fill_null(pc.less(columns["movement_date"].cast(pa.string()), first), True)
            refused = pc.or_(refused, pc.and_(pc.not_equal(columns["movement_type"], "ADM"), before))
        return pc.fill_null(refused, False)

    @arrow_form(vector)
    def check(record: dict, values: Sequence) -> str | None:
        computed = dict(zip(names, values[width:], strict=True))
        if computed.get("facility_known") == 0:
            return f"établissement inconnu : facility_id {record['facility_id']} absent de la table facility"
        if "first_admission" in computed and record["movement_type"] != "ADM":
            first, day = computed["first_admission"], record["movement_date"]
            if first is None or day.isoformat() < first:
                known = f"première admission le {_french_date(first)}" if first else "aucune admission"
                return (f"{record['movement_type']} du {day:%d/%m/%Y} antérieur à l'admission (ADM) du patient "
                        f"dans cet établissement ({known})")
        return None

    return check


def discover(folder: Path) -> list[Path]:
    """The database files of the folder in name order: the last one loaded is the one in force (AC-22)."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def _connect(path: Path) -> tuple[sqlite3.Connection, dict[str, list[str]]]:
    """Open read-only; the tables found with their columns (lower case)."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceFileError(path, f"base SQLite impossible à ouvrir ({library_message(exc)})") from None
    try:
        names = [row[0] for row in con.execute("select name from sqlite_master where type in ('table', 'view')")]
        tables = {n.lower(): [c[1].lower() for c in con.execute(f'pragma table_info("{n}")')] for n in names}
    except sqlite3.DatabaseError as exc:
        con.close()
        raise SourceFileError(path, f"fichier illisible : une base SQLite est attendue ({library_message(exc)})") from None
    return con, tables


def _check_structure(path: Path, tables: dict[str, list[str]]) -> None:
    missing = [spec.file_name for spec in SPECS if spec.file_name not in tables]
    if missing:
        raise SourceFileError(
            path, f"table(s) absente(s) de la base : {', '.join(missing)} "
            f"(tables trouvées : {', '.join(sorted(tables)) or 'aucune'})",
        )
    for spec in SPECS:
        absent = [c.header for c in spec.columns if c.header not in tables[spec.file_name]]
        if absent:
            raise SourceFileError(
                path, f"table « {spec.file_name} » : colonne(s) absente(s) : {', '.join(absent)} "
                f"(colonnes trouvées : {', '.join(tables[spec.file_name])})",
            )


def _rows(path: Path, con: sqlite3.Connection, spec: TableSpec) -> Iterator[tuple[int, tuple]]:
    """The declared columns then the SQL facts of each row, in rowid order, numbered from 1."""
    columns = [f't."{c.header}"' for c in spec.columns] + list(SQL_FACTS.get(spec.file_name, {}).values())
    query = f'select {", ".join(columns)} from "{spec.file_name}" as t order by t.rowid'
    try:
        yield from enumerate(con.execute(query), start=1)
    except sqlite3.Error as exc:
        raise SourceFileError(path, f"table « {spec.file_name} » illisible ({library_message(exc)})") from None


def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    path = Path(path)
    if path.stat().st_size == 0:
        raise SourceFileError(path, "fichier vide : une base SQLite est attendue")
    con, tables = _connect(path)
    try:
        _check_structure(path, tables)
        for spec in SPECS:
            yield from read_records(
                spec, _rows(path, con, spec), range(len(spec.columns)), context.pseudonymiser,
                where=f"table {spec.file_name}", check=_check(spec),
            )
    finally:
        con.close()
