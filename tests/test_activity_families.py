"""Activity families 2 (classeur_xlsx) and 3 (base_sqlite): hand-made facts → writer → reader → warehouse.

The expected raw rows are computed by hand from the facts below with the decisions' rules (AC-01 [entry,
exit), AC-02 absences, AC-12 journées, AC-24 hospitalisation first); bad input gives French rejects naming
the sheet or table and the row; names and NIR never reach the DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.config import AssociationConfig
from pipelines.dbt import run_dbt
from pipelines.demo.facts import Absence, Act, ActivityFacts, Assessment, Attendance, Person, Stay
from pipelines.demo.writers import writer
from pipelines.demo.writers.classeur_xlsx import billed_days
from pipelines.ingest import prepare_warehouse
from pipelines.pseudonymise import Pseudonymiser
from pipelines.readers import base_sqlite, classeur_xlsx
from pipelines.readers.base import ReadContext
from pipelines.warehouse import connect, load_file

D = dt.date
A, B = "990000031", "990000032"
PSEUDO = Pseudonymiser(b"0123456789abcdef0123456789abcdef")
CONTEXT = ReadContext(pseudonymiser=PSEUDO)
IDENTITY = ["Zorglubian", "Hortensia", "Quimperlé", "Anatole", "Vrillacq", "Octavie", "2400375123456", "2190675000111"]


def key(vendor_id: int) -> str:
    return PSEUDO.key(str(vendor_id), "person")


def facts() -> ActivityFacts:
    return ActivityFacts(
        persons=[
            Person("D000001", "Zorglubian", "Hortensia", "F", D(1940, 3, 2), "2400375123456", "DI", ["TSA", "DM"],
                   protection=True, current_gir=4),
            Person("D000002", "Quimperlé", "Anatole", "M", D(1950, 5, 6)),
            Person("D000003", "Vrillacq", "Octavie", "F", D(2019, 6, 1), "2190675000111", "TLA"),
        ],
        stays=[
            Stay("S1", "D000001", A, "HP", D(2023, 12, 15), D(2024, 2, 15), "DOM"),  # then a mode change HP → HT
            Stay("S2", "D000001", A, "HT", D(2024, 2, 15), D(2024, 3, 10), None, "DC"),
            Stay("S3", "D000002", A, "AJ", D(2024, 1, 3), None, "SAN"),
            Stay("S4", "D000003", B, "SERV", D(2024, 2, 1), D(2024, 2, 28), "DOM"),  # renewed the next day
            Stay("S5", "D000003", B, "SERV", D(2024, 2, 29), None),
        ],
        absences=[
            Absence("S1", D(2024, 1, 5), D(2024, 1, 9), "HOSP"),
            Absence("S1", D(2024, 1, 8), D(2024, 1, 10), "CONV"),  # 8 and 9 are hospital days (AC-24)
            Absence("S1", D(2024, 1, 20), D(2024, 1, 21), "VAC"),
            Absence("S2", D(2024, 3, 5), D(2024, 3, 9), "HOSP"),  # no return before the death on 10 March
        ],
        attendance=[Attendance("S3", d) for d in (D(2024, 1, 3), D(2024, 1, 4), D(2024, 1, 10), D(2024, 2, 1))],
        acts=[
            Act("A1", "S4", D(2024, 2, 5), "Séance individuelle", "REALISE"),
            Act("A2", "S4", D(2024, 2, 12), "Bilan", "ANNULE"),
            Act("A3", "S5", D(2024, 3, 4), "Séance individuelle", "ABSENT"),
        ],
        assessments=[Assessment("D000001", D(2024, 1, 15), 3, 180)],
        extraction_date=D(2024, 4, 5),
    )


@pytest.fixture
def warehouse(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


def load(con, reader, paths: list[Path]):
    return [load_file(con, reader, path, CONTEXT) for path in paths]


def rejects(con) -> list[tuple]:
    return con.execute("select file_name, line, reason from rejects order by file_name, line, reason").fetchall()


def select(con, table: str, columns: str) -> list[tuple]:
    return con.execute(f"select {columns} from {table} order by _source_file, _line").fetchall()


# --- classeur_xlsx ---

def test_classeur_xlsx_writer_and_reader(tmp_path, warehouse):
    paths = writer("classeur_xlsx")(facts(), tmp_path / "activite")
    assert [p.name for p in classeur_xlsx.discover(tmp_path / "activite")] == [
        "facturation_2023-12.xlsx", "facturation_2024-01.xlsx", "facturation_2024-02.xlsx", "facturation_2024-03.xlsx",
    ]
    results = load(warehouse, classeur_xlsx, paths)
    assert {r.status for r in results} == {"charge"} and rejects(warehouse) == []

    dec, jan, feb, mar = D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)
    # present = days of [entry, exit) in the month − absence days; day modes = attendance; services = days of
    # the accompagnement (28 February, between S4 and its next-day renewal, included) − absence days.
    assert select(warehouse, "raw_classeur_xlsx_journees",
                  "workbook_month, person_key, finess, mode_code, entry_date, present_days, absent_hospital_days, "
                  "absent_other_days, _line") == [
        (dec, key(1), A, "HP", D(2023, 12, 15), 17, 0, 0, 2),  # 15..31 December
        (jan, key(1), A, "HP", D(2023, 12, 15), 23, 5, 3, 2),  # hospital 5–9; other 10, 20, 21
        (jan, key(2), A, "AJ", D(2024, 1, 3), 3, 0, 0, 3),
        (feb, key(1), A, "HP", D(2023, 12, 15), 14, 0, 0, 2),  # 1..14, exit day 15 not counted
        (feb, key(1), A, "HT", D(2024, 2, 15), 15, 0, 0, 3),  # 15..29 (leap year)
        (feb, key(2), A, "AJ", D(2024, 1, 3), 1, 0, 0, 4),
        (feb, key(3), B, "SERV", D(2024, 2, 1), 28, 0, 0, 5),
        (feb, key(3), B, "SERV", D(2024, 2, 29), 1, 0, 0, 6),
        (mar, key(1), A, "HT", D(2024, 2, 15), 4, 5, 0, 2),  # 1..9, hospital 5..9
        (mar, key(2), A, "AJ", D(2024, 1, 3), 0, 0, 0, 3),
        (mar, key(3), B, "SERV", D(2024, 2, 29), 31, 0, 0, 4),
    ]  # the TOTAL rows (line 3, 4, 7, 5) are not persons
    assert select(warehouse, "raw_classeur_xlsx_mouvements",
                  "workbook_month, person_key, finess, movement_type, movement_date, mode_code, provenance_code, "
                  "exit_motive_code") == [
        (dec, key(1), A, "E", D(2023, 12, 15), "HP", "DOM", None),
        (jan, key(2), A, "E", D(2024, 1, 3), "AJ", "SAN", None),
        (feb, key(3), B, "E", D(2024, 2, 1), "SERV", "DOM", None),
        (feb, key(1), A, "S", D(2024, 2, 15), "HP", None, None),  # a mode change: S and E the same day
        (feb, key(1), A, "E", D(2024, 2, 15), "HT", None, None),
        (feb, key(3), B, "S", D(2024, 2, 28), "SERV", None, None),
        (feb, key(3), B, "E", D(2024, 2, 29), "SERV", None, None),
        (mar, key(1), A, "S", D(2024, 3, 10), "HT", None, "DC"),
    ]
    assert select(warehouse, "raw_classeur_xlsx_residents",
                  "workbook_month, person_key, sex_code, birth_date, main_deficiency_code, "
                  "associated_deficiency_codes, gir, protection") == [
        (dec, key(1), "2", D(1940, 3, 2), "DI", "TSA,DM", 4, True),
        (jan, key(1), "2", D(1940, 3, 2), "DI", "TSA,DM", 4, True),
        (jan, key(2), "1", D(1950, 5, 6), None, None, None, None),
        *[(month, key(n), *attributes) for month in (feb, mar) for n, attributes in (
            (1, ("2", D(1940, 3, 2), "DI", "TSA,DM", 4, True)),
            (2, ("1", D(1950, 5, 6), None, None, None, None)),
            (3, ("2", D(2019, 6, 1), "TLA", None, None, None)),
        )],
    ]
    assert select(warehouse, "raw_classeur_xlsx_evaluations", "workbook_month, person_key, assessed_on, gir, "
                  "pathos_points, _line") == [(jan, key(1), D(2024, 1, 15), 3, 180, 2)]


def test_classeur_xlsx_identical_months_are_distinct_files(tmp_path, warehouse):
    """July and August bill the same 31 days: the workbooks still differ (the loader identifies a file by
    its content), so that each month is delivered."""
    quiet = ActivityFacts(persons=facts().persons[:1], stays=[Stay("S1", "D000001", A, "HP", D(2024, 6, 15))],
                          extraction_date=D(2024, 9, 5))
    results = load(warehouse, classeur_xlsx, writer("classeur_xlsx")(quiet, tmp_path))
    assert [r.status for r in results] == ["charge"] * 3 and len({r.file_hash for r in results}) == 3
    assert select(warehouse, "raw_classeur_xlsx_journees", "workbook_month, present_days") == [
        (D(2024, 6, 1), 16), (D(2024, 7, 1), 31), (D(2024, 8, 1), 31)]


def _edit_workbook(path: Path, edit) -> None:
    workbook = openpyxl.load_workbook(path)
    edit(workbook)
    workbook.save(path)


def test_classeur_xlsx_bad_rows(tmp_path, warehouse):
    february = writer("classeur_xlsx")(facts(), tmp_path)[2]

    def edit(workbook):
        residents, moves, days, evaluations = (workbook[s] for s in ("Residents", "Mouvements", "Journees", "Evaluations"))
        residents["D2"] = "X"  # Sexe of person 1
        residents["E3"] = "06/05/1950"  # a text, not an Excel date
        residents["F4"] = "ZZZ"  # an unknown déficience: kept (INCONNU in staging), not rejected
        moves.append([2, A, "E", dt.datetime(2024, 2, 20), "HT", "DOM", None])  # row 7
        moves.append([2, A, "S", dt.datetime(2024, 2, 12), "HT", None, "DOM"])  # row 8: exit before its entry
        days["E2"] = "abc"
        days["D3"] = dt.datetime(2024, 3, 5)  # entry after the billed month
        days["E4"] = 30  # 30 days billed for a stay entered on 3 January: 29 days in February
        evaluations.append([1, dt.datetime(2024, 2, 2), 7, None])

    _edit_workbook(february, edit)
    [result] = load(warehouse, classeur_xlsx, [february])
    assert result.status == "charge" and result.rows_rejected == 7
    assert rejects(warehouse) == [
        ("facturation_2024-02.xlsx", 2, "feuille Evaluations : colonne « GIR » : valeur 7 hors de l'intervalle 1–6"),
        ("facturation_2024-02.xlsx", 2, "feuille Journees : colonne « JoursPresence » : nombre entier attendu, "
                                        "« abc » reçu"),
        ("facturation_2024-02.xlsx", 2, "feuille Residents : colonne « Sexe » : valeur « X » inattendue "
                                        "(valeurs possibles : 1, 2)"),
        ("facturation_2024-02.xlsx", 3, "feuille Journees : date d'entrée (05/03/2024) postérieure au mois facturé "
                                        "(02/2024)"),
        ("facturation_2024-02.xlsx", 3, "feuille Residents : colonne « DateNaissance » : « 06/05/1950 » n'est pas "
                                        "une date Excel (une cellule au format date est attendue)"),
        ("facturation_2024-02.xlsx", 4, "feuille Journees : 30 journées facturées (présence et absences) pour 29 "
                                        "jour(s) entre l'entrée et la fin du mois"),
        ("facturation_2024-02.xlsx", 8, "feuille Mouvements : sortie du 12/02/2024 antérieure à l'entrée de la "
                                        "personne dans cet ESMS et ce mode (première entrée du classeur : 20/02/2024)"),
    ]
    excerpt = warehouse.execute("select excerpt from rejects where reason like '%Sexe%'").fetchone()[0]
    assert excerpt == "X;1940-03-02;DI;TSA,DM;4;1" and "Zorglubian" not in excerpt
    assert select(warehouse, "raw_classeur_xlsx_residents", "person_key, main_deficiency_code") == [(key(3), "ZZZ")]


def test_classeur_xlsx_unreadable_workbooks(tmp_path, warehouse):
    first = writer("classeur_xlsx")(facts(), tmp_path)[0]
    _edit_workbook(first, lambda workbook: setattr(workbook["Journees"], "title", "Journées"))
    renamed = first.rename(tmp_path / "facturation_2023-11.xlsx")
    misnamed = tmp_path / "facturation_decembre.xlsx"
    misnamed.write_bytes(renamed.read_bytes())
    not_xlsx = tmp_path / "facturation_2023-10.xlsx"
    not_xlsx.write_text("IdResident;Finess\n1;990000031\n", encoding="utf-8")
    results = load(warehouse, classeur_xlsx, [renamed, misnamed, not_xlsx])
    assert [r.status for r in results] == ["rejete"] * 3
    assert results[0].message == (
        f"{renamed} : feuille(s) absente(s) ou renommée(s) : Journees (feuilles trouvées : Residents, Mouvements, "
        "Journées, Evaluations ; attendues : Residents, Mouvements, Journees, Evaluations)"
    )
    assert results[1].message == f"{misnamed} : le nom du classeur ne suit pas le modèle attendu facturation_AAAA-MM.xlsx"
    assert results[2].message.startswith(f"{not_xlsx} : classeur illisible : un fichier .xlsx est attendu")
    assert warehouse.execute("select count(*) from raw_classeur_xlsx_residents").fetchone()[0] == 0


# --- base_sqlite ---

def test_base_sqlite_writer_and_reader(tmp_path, warehouse):
    [path] = writer("base_sqlite")(facts(), tmp_path / "activite")
    assert path.name == "dossier_usager_2024-04-05.sqlite" and base_sqlite.discover(path.parent) == [path]
    [result] = load(warehouse, base_sqlite, [path])
    assert result.status == "charge" and rejects(warehouse) == []

    # facilities numbered by FINESS; events in date order, a mode change = DIS + ADM the same day, an absence
    # = OUT on its first day and IN on the return day, none when the person does not come back (S2)
    assert select(warehouse, "raw_base_sqlite_facility", "facility_id, finess") == [(1, A), (2, B)]
    assert select(warehouse, "raw_base_sqlite_movement",
                  "movement_id, person_key, facility_id, movement_date, movement_type, care_mode, origin, reason") == [
        (1, key(1), 1, D(2023, 12, 15), "ADM", "PERM", "HOME", None),
        (2, key(2), 1, D(2024, 1, 3), "ADM", "DAY", "HOSPITAL", None),
        (3, key(1), 1, D(2024, 1, 5), "HOSP_OUT", None, None, None),
        (4, key(1), 1, D(2024, 1, 8), "LEAVE_OUT", None, None, None),
        (5, key(1), 1, D(2024, 1, 10), "HOSP_IN", None, None, None),
        (6, key(1), 1, D(2024, 1, 11), "LEAVE_IN", None, None, None),
        (7, key(1), 1, D(2024, 1, 20), "LEAVE_OUT", None, None, None),
        (8, key(1), 1, D(2024, 1, 22), "LEAVE_IN", None, None, None),
        (9, key(3), 2, D(2024, 2, 1), "ADM", "HOME", "HOME", None),
        (10, key(1), 1, D(2024, 2, 15), "DIS", "PERM", None, None),
        (11, key(1), 1, D(2024, 2, 15), "ADM", "TEMP", None, None),
        (12, key(3), 2, D(2024, 2, 28), "DIS", "HOME", None, None),
        (13, key(3), 2, D(2024, 2, 29), "ADM", "HOME", None, None),
        (14, key(1), 1, D(2024, 3, 5), "HOSP_OUT", None, None, None),
        (15, key(1), 1, D(2024, 3, 10), "DIS", "TEMP", None, "DEATH"),
    ]
    # the vendor numbers its déficience labels alphabetically, not in the common nomenclature's order
    labels = dict(select(warehouse, "raw_base_sqlite_disability", "code, label"))
    assert (labels["D06"], labels["D01"], labels["D07"]) == (
        "Déficience intellectuelle", "Autisme et autres troubles envahissants du développement", "Déficience motrice")
    assert select(warehouse, "raw_base_sqlite_patient", "person_key, sex, birth_date, main_disability_code, protection, "
                  "_line") == [
        (key(1), "F", D(1940, 3, 2), "D06", True, 1),
        (key(2), "M", D(1950, 5, 6), None, None, 2),
        (key(3), "F", D(2019, 6, 1), "D12", None, 3),
    ]
    assert select(warehouse, "raw_base_sqlite_patient_disability", "person_key, disability_code") == [
        (key(1), "D01"), (key(1), "D07")]
    assert select(warehouse, "raw_base_sqlite_dependency_assessment", "person_key, assessed_on, gir, pathos_points") == [
        (key(1), D(2024, 1, 15), 3, 180)]
    assert select(warehouse, "raw_base_sqlite_appointment", "act_key, person_key, facility_id, day, status, kind") == [
        (PSEUDO.key(str(n), "act"), key(3), 2, day, status, kind) for n, day, status, kind in (
            (1, D(2024, 2, 5), "DONE", "Séance individuelle"), (2, D(2024, 2, 12), "CANCELLED", "Bilan"),
            (3, D(2024, 3, 4), "NO_SHOW", "Séance individuelle"))
    ]
    assert select(warehouse, "raw_base_sqlite_attendance", "person_key, facility_id, day") == [
        (key(2), 1, d) for d in (D(2024, 1, 3), D(2024, 1, 4), D(2024, 1, 10), D(2024, 2, 1))]


def _edit_database(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()


def test_base_sqlite_bad_rows(tmp_path, warehouse):
    [path] = writer("base_sqlite")(facts(), tmp_path)
    _edit_database(
        path,
        "update patient set birth_date = '02/03/1940' where patient_id = 1",
        "update dependency_assessment set gir = 'abc'",
        "update movement set care_mode = 'XYZ' where movement_id = 2",  # unknown code: kept, INCONNU in staging
        "update movement set movement_date = '2024-01-20' where movement_id = 12",  # DIS before its ADM
        "update attendance set facility_id = 9 where rowid = 4",
    )
    [result] = load(warehouse, base_sqlite, [path])
    assert result.status == "charge" and result.rows_rejected == 4
    name = path.name
    assert rejects(warehouse) == [
        (name, 1, "table dependency_assessment : colonne « gir » : nombre entier attendu, « abc » reçu"),
        (name, 1, "table patient : colonne « birth_date » : date « 02/03/1940 » invalide (format attendu AAAA-MM-JJ)"),
        (name, 4, "table attendance : établissement inconnu : facility_id 9 absent de la table facility"),
        (name, 12, "table movement : DIS du 20/01/2024 antérieur à l'admission (ADM) du patient dans cet "
                   "établissement (première admission le 01/02/2024)"),
    ]
    assert select(warehouse, "raw_base_sqlite_movement", "movement_id, care_mode")[1] == (2, "XYZ")


def test_base_sqlite_unreadable_files(tmp_path, warehouse):
    [path] = writer("base_sqlite")(facts(), tmp_path)
    _edit_database(path, "drop table attendance")
    text = tmp_path / "export.sqlite"
    text.write_text("patient_id;last_name\n1;Zorglubian\n", encoding="utf-8")
    results = load(warehouse, base_sqlite, [path, text])
    assert [r.status for r in results] == ["rejete", "rejete"]
    assert results[0].message == (
        f"{path} : table(s) absente(s) de la base : attendance (tables trouvées : appointment, "
        "dependency_assessment, disability, facility, movement, patient, patient_disability)"
    )
    assert results[1].message.startswith(f"{text} : fichier illisible : une base SQLite est attendue")
    assert warehouse.execute("select count(*) from raw_base_sqlite_patient").fetchone()[0] == 0


# --- both ---

@pytest.mark.parametrize("family, reader", [("classeur_xlsx", classeur_xlsx), ("base_sqlite", base_sqlite)])
def test_same_file_twice_loads_once(tmp_path, warehouse, family, reader):
    paths = writer(family)(facts(), tmp_path)
    first = load(warehouse, reader, paths)
    counts = {t: warehouse.execute(f"select count(*) from {t}").fetchone()[0] for t in reader.TABLES}
    again = load(warehouse, reader, paths)
    assert {r.status for r in first} == {"charge"} and {r.status for r in again} == {"deja_charge"}
    assert {t: warehouse.execute(f"select count(*) from {t}").fetchone()[0] for t in reader.TABLES} == counts


def test_no_identity_in_the_warehouse(tmp_path):
    """Names and NIR are in the sources, never in the DuckDB file, rejects included (excerpts)."""
    database = tmp_path / "warehouse.duckdb"
    con = connect(database)
    con.execute("set force_compression = 'uncompressed'")  # so that a stored name would show as plain bytes
    xlsx = writer("classeur_xlsx")(facts(), tmp_path / "xlsx")
    _edit_workbook(xlsx[1], lambda workbook: workbook["Residents"].__setitem__("D2", "X"))  # a rejected row
    [sqlite_file] = writer("base_sqlite")(facts(), tmp_path / "sqlite")
    _edit_database(sqlite_file, "update patient set gender = 'X' where patient_id = 1")
    load(con, classeur_xlsx, xlsx)
    load(con, base_sqlite, [sqlite_file])
    assert con.execute("select count(*) from rejects").fetchone()[0] == 2
    con.close()
    assert sqlite_file.read_bytes().count(b"Zorglubian") == 1  # the source does hold them
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("warehouse.duckdb*"))
    assert A.encode() in stored  # the scan sees plain values
    assert [word for word in IDENTITY if word.encode() in stored] == []


# --- staging (dbt): stays, absences and day counts rebuilt from the raw rows ---

@pytest.mark.slow
def test_staging_rebuilds_the_facts(tmp_path):
    cfg = AssociationConfig(
        id="familles", name="Familles 2 et 3", config_path=tmp_path / "familles.toml", activity_family="classeur_xlsx",
        activity_path=tmp_path, dsn_path=None, dsn_establishments={}, fec_path=None, fec_dossiers={},
        esms_sheet_path=tmp_path / "fiche.csv", secret_path=tmp_path / "secret", output_dir=tmp_path / "out" / "familles",
    )
    original = facts()
    without_p2 = facts()
    without_p2.persons = [p for p in without_p2.persons if p.person_id != "D000002"]
    without_p2.stays = [s for s in without_p2.stays if s.person_id != "D000002"]
    without_p2.attendance, without_p2.extraction_date = [], D(2024, 5, 6)
    workbooks = writer("classeur_xlsx")(original, tmp_path / "xlsx")
    january = tmp_path / "xlsx" / "relivraison" / "facturation_2024-01.xlsx"  # a re-delivered month
    january.parent.mkdir()
    january.write_bytes(workbooks[1].read_bytes())

    def redeliver(workbook):
        workbook["Journees"]["E3"] = 4  # the AJ attendance days of January
        workbook["Evaluations"].delete_rows(2)  # a sheet emptied by the re-delivery empties that month

    _edit_workbook(january, redeliver)
    databases = writer("base_sqlite")(original, tmp_path / "sqlite") + writer("base_sqlite")(without_p2, tmp_path / "sqlite")
    con = connect(cfg.warehouse_path)
    try:
        prepare_warehouse(con, cfg)
        results = load(con, classeur_xlsx, classeur_xlsx.discover(tmp_path / "xlsx"))
        results += load(con, base_sqlite, base_sqlite.discover(tmp_path / "sqlite"))
    finally:
        con.close()
    assert [r.status for r in results] == ["charge"] * 7 and len(databases) == 2
    run_dbt(cfg, ["build", "--select", "+staging.classeur_xlsx", "+staging.base_sqlite"])

    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        def stays(family: str) -> set[tuple]:
            return set(con.execute(f"select person_key, finess, mode, entry_date, exit_date, provenance, exit_motive "
                                   f"from stg_{family}__stays").fetchall())

        def expected_stays(f: ActivityFacts) -> set[tuple]:
            return {(key(int(s.person_id[1:])), s.finess, s.mode, s.entry, s.exit, s.provenance, s.exit_motive)
                    for s in f.stays}

        assert stays("classeur_xlsx") == expected_stays(original)
        assert stays("base_sqlite") == expected_stays(without_p2)  # the newest file replaces the previous one
        assert con.execute("select count(*) from stg_base_sqlite__persons where person_key = ?", [key(2)]).fetchone() == (0,)
        assert con.execute("select main_deficiency, associated_deficiencies from stg_base_sqlite__persons "
                           "where person_key = ?", [key(1)]).fetchone() == ("DI", ["DM", "TSA"])

        # absences: [leaving day, return day − 1]; S2's hospitalisation lasts until the death (AC-02)
        assert con.execute("""
            select s.mode, a.first_day, a.last_day, a.motive from stg_base_sqlite__absences as a
            join stg_base_sqlite__stays as s using (stay_key) order by all""").fetchall() == [
            ("HP", D(2024, 1, 5), D(2024, 1, 9), "HOSP"), ("HP", D(2024, 1, 8), D(2024, 1, 10), "AUTRE"),
            ("HP", D(2024, 1, 20), D(2024, 1, 21), "AUTRE"), ("HT", D(2024, 3, 5), D(2024, 3, 9), "HOSP")]
        assert con.execute("select count(*), count(stay_key) from stg_base_sqlite__acts").fetchone() == (3, 3)

        # billed days: the writer's counts, January as re-delivered; they belong to the rebuilt stays
        stays_by_id = {s.stay_id: s for s in original.stays}
        expected = {(stays_by_id[stay_id].mode, stays_by_id[stay_id].entry, month, *counts)
                    for (stay_id, month), counts in billed_days(original, D(2024, 4, 1)).items()}
        expected = (expected - {("AJ", D(2024, 1, 3), D(2024, 1, 1), 3, 0, 0)}) | {("AJ", D(2024, 1, 3), D(2024, 1, 1), 4, 0, 0)}
        assert set(con.execute("select mode, entry_date, month_start, present_days, absent_hospital_days, "
                               "absent_other_days from stg_classeur_xlsx__billed_days").fetchall()) == expected
        assert con.execute("select count(*) from stg_classeur_xlsx__billed_days "
                           "where stay_key not in (select stay_key from stg_classeur_xlsx__stays)").fetchone() == (0,)
        assert con.execute("select count(*) from stg_classeur_xlsx__assessments").fetchone() == (0,)
        assert con.execute("select vendor_code from stg_classeur_xlsx__unknown_codes").fetchall() == []
    finally:
        con.close()
