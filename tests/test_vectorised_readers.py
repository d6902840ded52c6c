"""The two paths of the activity readers give the same rows, rejects and reasons: the vectorised one (whole
columns checked with Arrow: Arrow's CSV parser for export_csv and pivot, the database's values for
base_sqlite) and the row-by-row one (csv module + RowParser, or read_records' rules), which is the reference.
Each Arrow form of a rule never accepts what its rule refuses."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.demo.writers import base_sqlite as base_sqlite_writer
from pipelines.errors import SourceFileError
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers import base_sqlite, classeur_xlsx, csv_table, export_csv, pivot
from pipelines.readers.base import ReadContext, Reject, decode_lines
from pipelines.readers.csv_table import (
    parse_choice,
    parse_date_fr,
    parse_date_iso,
    parse_finess,
    parse_int_range,
    parse_yes_no,
    read_table,
)

NBSP, EM_SPACE = "\xa0", "\u2003"
DATES_FR = ["01/02/2020", "1/2/2020", "30/02/2021", "29/02/2024", "29/02/2100", "00/01/2020", "01/00/2020",
            "01/13/2020", "01/01/0999", "01/01/0000", "31/12/9999", "2020-01-01", "01/02/20", "01-02-2020",
            f"{NBSP}01/02/2020", f"01/02/2020{EM_SPACE}", "01/02/２０２０"]
INTEGERS = ["1", "6", "0", "7", "+3", "03", "-1", "٣", "1.0", " 2", "2 ", "99999999999999999999"]
YES_NO = ["Oui", "OUI", "non", "NON", "true", "False", "1", "0", "yes", "Ouï", "oui "]
def _cp1252(cells: list[str]) -> list[str]:
    return [cell for cell in cells if cell.encode("cp1252", "replace").decode("cp1252") == cell]


FINESS = ["750000001", "75000000", "7500000011", "75000000A", "75000000É", "75000 001"]


def _calendar() -> list[str]:
    return [f"{y:04d}-{m:02d}-{d:02d}" for y in (1000, 1600, 1900, 2000, 2021, 2024, 2100, 2400, 9999)
            for m in range(14) for d in (0, 1, 28, 29, 30, 31, 32, 99)]


def _outcome(rule, text: str):
    try:
        return rule(text)
    except ValueError:
        return None


@pytest.mark.parametrize("rule, cells", [
    (parse_date_iso, _calendar() + ["2020-1-01", "20200101", "2020-01-01T00:00"]),
    (parse_date_fr, [f"{c[8:10]}/{c[5:7]}/{c[:4]}" for c in _calendar()] + DATES_FR),
    (parse_int_range(1, 6), INTEGERS),
    (parse_int_range(0, 2**62), INTEGERS + ["4611686018427387904", "4611686018427387903"]),
    (parse_yes_no, YES_NO),
    (parse_finess, FINESS),
    (parse_choice("M", "F"), ["M", "F", "m", "X", "MF"]),
    (pivot._natural, INTEGERS + ["2147483647", "2147483648"]),
])
def test_an_arrow_form_accepts_only_what_its_rule_accepts_with_the_same_value(rule, cells):
    values, ok = rule.vector(pa.array(cells, pa.string()))
    accepted = [cell for cell, good in zip(cells, ok.to_pylist(), strict=True) if good]
    assert accepted  # the forms do vouch for the common shapes
    for cell, value in zip(accepted, values.filter(ok).to_pylist(), strict=True):
        assert _outcome(rule, cell) == value, cell


def _usagers(lines: list[str]) -> str:
    header = ("N° dossier;Nom;Prénom;Sexe;Date de naissance;NIR;Déficience principale;Déficiences associées;GIR;"
              "Date évaluation GIR;Mesure de protection;Orientation MDPH")
    return "\r\n".join([header, *lines]) + "\r\n"


def _usager(number: int, sex="F", birth="03/04/1950", gir="2", gir_date="01/01/2024", protection="Oui",
            deficiency="Déficience intellectuelle") -> str:
    return f"D{number};Nom{number};Prénom{number};{sex};{birth};2500175123456;{deficiency};;{gir};{gir_date};{protection};Non"


def _messy_usagers() -> list[str]:
    """One valid line, then one line per tricky cell of each column, blank lines and a short one."""
    lines, number = [_usager(0)], 1
    for field, cells in (("birth", _cp1252(DATES_FR)), ("gir", _cp1252(INTEGERS)), ("protection", YES_NO), ("sex", ["M", "m", "X", ""]),
                         ("gir_date", ["", " ", "31/04/2023"]),
                         ("deficiency", [f"{NBSP}Autisme", f"Autisme{NBSP}", f"Aut{NBSP}isme", "", "Polyhandicap "])):
        for cell in cells:
            lines.append(_usager(number, **{field: cell}))
            number += 1
    return [*lines, "", ";;;;;;;;;;;", "   ;  ;;;;;;;;;;", f";Nom;Prénom;F;01/01/1960;{'1' * 13};;;;;;"]


def _read_both(path: Path, module, monkeypatch=None) -> tuple:
    """(the reader's result, the line-by-line reference); with `monkeypatch`, the reader must not fall back."""
    context = ReadContext(pseudonymiser=Pseudonymiser(secrets.token_hex(32).encode()))
    spec = module.SPEC_BY_FILE[path.name]
    constants = (("extraction_date", pa.date32(), module.extraction_date(path)),) if module is export_csv else ()
    reference = _collected(read_table(path, spec, decode_lines(path, module.ENCODING), module.DELIMITER,
                                      context.pseudonymiser, constants))
    if monkeypatch:
        monkeypatch.setattr(csv_table, "read_table", None)
    return _collected(module.read(path, context)), reference


def _collected(items) -> tuple[dict, list]:
    tables: dict[str, list] = {}
    rejects = []
    for item in items:
        if isinstance(item, Reject):
            rejects.append(tuple(item))
        else:
            tables.setdefault(item.table, []).append(item.batch)
    rows = {table: pa.Table.from_batches(batches).sort_by("_line").to_pylist() for table, batches in tables.items()}
    return rows, sorted(rejects)


def _write_usagers(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "extraction_2025-01-31" / "usagers.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_usagers(lines).encode("cp1252"))
    return path


def test_a_messy_export_gives_the_same_rows_and_rejects_on_both_paths(tmp_path, monkeypatch):
    path = _write_usagers(tmp_path, _messy_usagers())
    (rows, rejects), (reference_rows, reference_rejects) = _read_both(path, export_csv, monkeypatch)
    assert rows == reference_rows and rejects == reference_rejects
    # By hand from the lines above (header, then the valid line 2): « 30/02/2021 » (third date) is on line 5;
    # « 7 » (GIR, 4th integer) on line 2 + 15 dates + 4 = 21; « m » (sex, 2nd) on 2 + 15 + 11 + 11 + 2 = 41.
    assert (len(_cp1252(DATES_FR)), len(_cp1252(INTEGERS))) == (15, 11)
    by_line = {line: reason for line, reason, _ in rejects}
    assert by_line[5] == "date « 30/02/2021 » invalide (format attendu JJ/MM/AAAA)"
    assert by_line[21] == "valeur 7 hors de l'intervalle 1–6"
    assert by_line[41] == "valeur « m » inattendue (valeurs possibles : M, F)"
    kept = {row["_line"]: row for row in rows["raw_export_csv_usagers"]}
    assert kept[2]["birth_date"] == dt.date(1950, 4, 3) and kept[2]["gir"] == 2 and kept[2]["protection"] is True
    assert kept[4]["birth_date"] == dt.date(2020, 2, 1)  # « 1/2/2020 »: Arrow doubts it, the RowParser keeps it
    assert kept[17]["birth_date"] == dt.date(2020, 2, 1)  # « \xa001/02/2020 »: stripped by the reference rule
    nbsp_line = 2 + 15 + 11 + 11 + 4 + 3 + 1  # « \xa0Autisme »
    assert kept[nbsp_line]["main_deficiency_label"] == "Autisme"
    assert kept[nbsp_line + 2]["main_deficiency_label"] == f"Aut{NBSP}isme"
    last = len(_messy_usagers()) + 1
    assert by_line[last] == "valeur obligatoire absente : « N° dossier »"
    assert not set(range(last - 3, last)) & (set(kept) | set(by_line))  # blank lines: neither kept nor refused
    assert "Nom" not in "".join(excerpt for _, _, excerpt in rejects)  # names never in the rejects


def test_a_line_of_another_width_in_a_later_block_resumes_line_by_line_from_that_block(tmp_path, monkeypatch):
    lines = [_usager(n, gir=str(1 + n % 7)) for n in range(3000)]
    lines[2500] += ";une colonne de trop"  # kept by the reference: the declared columns are all there
    lines[2600] = "D2600;Nom;Prénom;F"
    path = _write_usagers(tmp_path, lines)
    monkeypatch.setattr(csv_table, "ARROW_BLOCK_BYTES", 16_384)
    resumed = []
    line_by_line = csv_table.read_table
    monkeypatch.setattr(csv_table, "read_table", lambda *args: resumed.append(args[-1]) or line_by_line(*args))
    (rows, rejects), reference = _read_both(path, export_csv)
    assert (rows, rejects) == reference
    assert len(resumed) == 1 and 2 < resumed[0] <= 2502  # resumed from a block at or before the long line
    table = rows["raw_export_csv_usagers"]
    assert [row["_line"] for row in table] == [n + 2 for n in range(3000) if n % 7 != 6 and n != 2600]
    assert [line for line, _, _ in rejects] == sorted([n + 2 for n in range(3000) if n % 7 == 6] + [2602])
    short = next(reject for reject in rejects if reject[0] == 2602)
    assert short[1] == "ligne incomplète : 4 champ(s) au lieu de 12" and short[2] == "F;;;;;;;"  # no name, no id


@pytest.mark.parametrize("damage", [
    lambda text: text.replace("Oui;Non", '"Oui";Non', 1),  # a quote: the csv module decides
    lambda text: text.replace("Nom5;", "Nom\x0c5;"),  # a control character
    lambda text: text.replace("\r\n", "\r"),  # old Mac line ends
])
def test_quoted_or_odd_files_are_read_line_by_line_with_the_same_result(tmp_path, damage):
    path = _write_usagers(tmp_path, [])
    path.write_bytes(damage(_usagers(_messy_usagers())).encode("cp1252"))
    (rows, rejects), reference = _read_both(path, export_csv)
    assert (rows, rejects) == reference and rows["raw_export_csv_usagers"]


def test_pivot_files_give_the_same_rows_on_both_paths(tmp_path):
    """UTF-8 with its BOM, ISO dates, a row check (exit before entry) and pseudonymised keys in two domains."""
    path = tmp_path / "stays.csv"
    lines = ["stay_id,person_id,finess,mode,entry_date,exit_date,provenance,exit_motive,creton"]
    for n in range(200):
        exit_date = ["", "2024-03-01", "2023-12-31", "2024-02-30"][n % 4]
        lines.append(f"S{n},P{n % 50},{FINESS[n % 2]},{['HP', 'AJ', 'XX'][n % 3]},2024-01-01,{exit_date},DOM,,false")
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    (rows, rejects), reference = _read_both(path, pivot)
    assert (rows, rejects) == reference
    kept = rows["raw_pivot_stays"]
    # valid: FINESS even n, mode HP or AJ (n % 3 < 2), exit empty or 2024-03-01 (n % 4 < 2) → n % 12 in {0, 4}
    assert [row["_line"] - 2 for row in kept] == [n for n in range(200) if n % 12 in (0, 4)]
    assert len({row["person_key"] for row in kept}) == len({n % 50 for n in range(200) if n % 12 in (0, 4)})


# --- typed rows (base_sqlite): Arrow columns from the database's values, the same rows as record by record ---

def _messy_database(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript(base_sqlite_writer.DDL)
    con.executemany("insert into facility values (?, ?, ?)",
                    [(1, "750000001", "A"), (2, " 750000002 ", "B"), (3, "75000000É", "C"), (4, 750000004, "D")])
    genders = ["M", "F", "m", "", None, 1]
    births = ["1950-01-02", "1950-02-30", "02/01/1950", None, " 1950-01-02", "1950-01-02\n", 19500102, "0950-01-02"]
    protections = [1, 0, "Oui", "x", 1.0, 2.5, None, float("nan")]
    patients = [(n, f"Nom{n}", f"Prénom{n}", "1" * 13, genders[n % 6], births[n % 8], "D1", protections[n % 7])
                for n in range(1, 120)]
    con.executemany("insert into patient values (?, ?, ?, ?, ?, ?, ?, ?)", patients)
    movements, number = [], 0
    for n in range(1, 120):
        facility = [1, 2, 4, 9][n % 4]  # 9: unknown
        events = [("2024-01-05", "ADM"), ("2024-02-01", "DIS")] if n % 5 else [("2024-01-05", "DIS"), ("2024-02-01", "ADM")]
        for day, kind in events:
            number += 1
            movements.append((number, n, facility, day if n % 11 else "2024-13-01", kind if n % 13 else "XXX",
                              "HP", "DOM", None))
    con.executemany("insert into movement values (?, ?, ?, ?, ?, ?, ?, ?)", movements)
    con.executemany("insert into dependency_assessment values (?, ?, ?, ?)",
                    [(n, "2024-03-01", [2, 7, 3.0, "3", None][n % 5], [10, 10000, None][n % 3]) for n in range(1, 120)])
    con.executemany("insert into appointment values (?, ?, ?, ?, ?, ?)",
                    [(n, n, 1, "2024-03-02", [" REALISE", "", "ANNULE\n"][n % 3], None) for n in range(1, 120)])
    con.executemany("insert into attendance values (?, ?, ?)", [(n, [1, 9][n % 2], "2024-03-03") for n in range(1, 120)])
    con.commit()
    con.close()


def test_a_messy_sqlite_base_gives_the_same_rows_and_rejects_as_record_by_record(tmp_path, monkeypatch):
    path = tmp_path / "base.sqlite"
    _messy_database(path)
    secret = secrets.token_hex(32).encode()
    doubted: dict[str, int] = {}

    def by_record(spec, rows, *rest):
        rows = list(rows)
        doubted[spec.file_name] = doubted.get(spec.file_name, 0) + len(rows)
        return record_by_record(spec, rows, *rest)

    record_by_record = classeur_xlsx._record_by_record
    monkeypatch.setattr(classeur_xlsx, "_record_by_record", by_record)
    rows, rejects = _collected(base_sqlite.read(path, ReadContext(Pseudonymiser(secret))))
    # attendance: clean types, the rows of the unknown facility 9 (odd n) are the only ones Arrow doubts;
    # patient: a column of mixed types (integers, text, floats), every row read record by record
    assert doubted["attendance"] == 60 and doubted["patient"] == 119
    monkeypatch.setattr(csv_table.TableSpec, "vectorised", property(lambda spec: False))
    assert (rows, rejects) == _collected(base_sqlite.read(path, ReadContext(Pseudonymiser(secret))))
    by_table = {(reason.split(" : ")[0], line): reason for line, reason, _ in rejects}
    # by hand: patient 1 was born « 1950-02-30 » (births[1]); patient 16 has gender None, births[0], « Oui »
    assert by_table["table patient", 1] == ("table patient : colonne « birth_date » : date « 1950-02-30 » invalide "
                                            "(format attendu AAAA-MM-JJ)")
    patient = {row["_line"]: row for row in rows["raw_base_sqlite_patient"]}[16]
    assert (patient["sex"], patient["birth_date"], patient["protection"]) == (None, dt.date(1950, 1, 2), True)
    # facilities: spaces stripped, an integer read as its digits, « É » doubted by Arrow but alphanumeric for the rule
    finess = [row["finess"] for row in rows["raw_base_sqlite_facility"]]
    assert finess == ["750000001", "750000002", "75000000É", "750000004"]


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", ("x" * 200_000 + ",stay_id\n1,2\n").encode()])
def test_a_file_without_a_usable_header_is_refused_alike_on_both_paths(tmp_path, content):
    path = tmp_path / "stays.csv"
    path.write_bytes(content)
    spec, context = pivot.SPEC_BY_FILE["stays.csv"], ReadContext(Pseudonymiser(secrets.token_hex(32).encode()))
    refusals = []
    for rows in (pivot.read(path, context),
                 read_table(path, spec, decode_lines(path, pivot.ENCODING), ",", context.pseudonymiser)):
        with pytest.raises(SourceFileError) as refused:
            list(rows)
        refusals.append((refused.value.line, refused.value.reason))
    assert refusals[0] == refusals[1] and refusals[0][0] == 1
