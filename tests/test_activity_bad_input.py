"""Bad input in the export_csv and pivot families: a French message naming file and line, the line in
the rejects, the rest of the file loaded, nothing doubled (classeur_xlsx and base_sqlite: see
test_activity_families.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.demo.facts import ActivityFacts, Person, Stay
from pipelines.ingest import ingest
from pipelines.run import run_association
from tests.conftest import make_association, query

D = dt.date
FINESS = "990000011"
SHEET = [{"finess": FINESS, "year": 2024, "category_code": "255", "mode": "HP", "places_autorisees": 5,
          "jours_ouverture": 365}]


def facts() -> ActivityFacts:
    persons = [Person(f"D{i}", f"Nom{i}", f"Prénom{i}", "F", D(1970, 1, i)) for i in range(1, 4)]
    stays = [Stay(f"S{i}", f"D{i}", FINESS, "HP", D(2024, 1, i), None, "DOM") for i in range(1, 4)]
    return ActivityFacts(persons=persons, stays=stays, extraction_date=D(2025, 1, 31))


def sejours_path(cfg):
    return next(cfg.activity_path.glob("extraction_*/sejours.csv"))


def rewrite(path, transform, encoding="cp1252"):
    text = path.read_bytes().decode(encoding)
    path.write_bytes(transform(text).encode(encoding))


def rejects(cfg):
    return query(cfg, "select file_name, line, reason from rejects order by file_name, line")


@pytest.mark.parametrize("transform, line, expected", [
    (lambda t: t.replace("02/01/2024", "2024-01-02"), 3, "format attendu JJ/MM/AAAA"),
    (lambda t: t.replace("03/01/2024;;", "03/01/2024;01/01/2024;"), 4, "antérieure à la date d'entrée"),
    (lambda t: t.replace(f"S2;D2;{FINESS}", "S2;D2;12345"), 3, "FINESS « 12345 » invalide"),
])
def test_export_csv_bad_line_is_rejected_with_its_line_and_the_rest_loaded(tmp_path, transform, line, expected):
    cfg = make_association(tmp_path, "export_csv", facts(), SHEET)
    rewrite(sejours_path(cfg), transform)
    report = ingest(cfg)
    assert not report.rejected_files
    found = [r for r in rejects(cfg) if r[0] == "sejours.csv"]
    assert len(found) == 1 and found[0][1] == line and expected in found[0][2], found
    assert query(cfg, "select count(*) from raw_export_csv_sejours")[0][0] == 2
    ingest(cfg)  # the same files again: nothing doubled
    assert query(cfg, "select count(*) from raw_export_csv_sejours")[0][0] == 2
    assert len(rejects(cfg)) == 1


def test_export_csv_in_utf8_is_refused_naming_the_line(tmp_path):
    cfg = make_association(tmp_path, "export_csv", facts(), SHEET)
    path = next(cfg.activity_path.glob("extraction_*/usagers.csv"))
    path.write_bytes(path.read_bytes().decode("cp1252").encode("utf-8"))
    report = ingest(cfg)
    [result] = report.rejected_files
    assert "UTF-8" in result.message and "usagers.csv" in result.message and "ligne 1" in result.message  # the header already has « N° » and accents
    assert query(cfg, "select count(*) from raw_export_csv_usagers")[0][0] == 0
    assert query(cfg, "select status from load_log where file_name = 'usagers.csv'") == [("rejete",)]


def test_export_csv_missing_column_is_refused_naming_it(tmp_path):
    cfg = make_association(tmp_path, "export_csv", facts(), SHEET)
    rewrite(sejours_path(cfg), lambda t: t.replace(";Amendement Creton", "").replace(";Non\r\n", "\r\n"))
    [result] = ingest(cfg).rejected_files
    assert "Amendement Creton" in result.message and "ligne 1" in result.message


def test_unknown_code_is_kept_as_inconnu_and_listed(tmp_path):
    cfg = make_association(tmp_path, "export_csv", facts(), SHEET)
    rewrite(sejours_path(cfg), lambda t: t.replace("S3;D3;990000011;Hébergement permanent;03/01/2024;;Domicile",
                                                   "S3;D3;990000011;Hébergement permanent;03/01/2024;;Chez sa tante"))
    run_association(cfg, quality=False, dashboards=False)
    assert query(cfg, "select provenance from int_stays where provenance = 'INCONNU'") == [("INCONNU",)]
    assert query(cfg, "select domain, vendor_code, first_line from dq_unknown_codes") == [("provenance", "Chez sa tante", 4)]


@pytest.mark.parametrize("family", ["export_csv", "pivot"])
def test_overlapping_stay_is_set_aside_with_its_file_and_line(tmp_path, family):
    base = facts()
    base.stays.append(Stay("S9", "D1", FINESS, "HP", D(2024, 3, 1), D(2024, 4, 1), "DOM", "DOM"))
    cfg = make_association(tmp_path, family, base, SHEET)
    run_association(cfg, quality=False, dashboards=False)
    rows = query(cfg, "select file_name, line, reason from dq_rejected_lines")
    assert len(rows) == 1
    file_name, line, reason = rows[0]
    assert file_name in ("sejours.csv", "stays.csv") and line == 5 and "chevauche" in reason
    assert query(cfg, "select count(*) from int_stays")[0][0] == 3


def test_pivot_bad_date_and_unknown_mode_are_rejected(tmp_path):
    cfg = make_association(tmp_path, "pivot", facts(), SHEET)
    path = cfg.activity_path / "stays.csv"
    rewrite(path, lambda t: t.replace("2024-01-02", "02/01/2024").replace(",HP,2024-01-03", ",XX,2024-01-03"), "utf-8")
    ingest(cfg)
    reasons = [r[2] for r in rejects(cfg)]
    assert any("format attendu AAAA-MM-JJ" in r for r in reasons) and any("« XX » inattendue" in r for r in reasons)
    assert query(cfg, "select count(*) from raw_pivot_stays")[0][0] == 1
