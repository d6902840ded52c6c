"""Outputs of an association: campaign export, drill-down, shared aggregates, parangonnage.

One small association (pivot family, two ESMS) is built and run once; expected values and records are
computed here from the fixture's facts, or read from fct_indicator_values for the campaign (whose job is
to lay those values out, not to compute them). The parangonnage test writes its share files by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest
from openpyxl import load_workbook

from pipelines.campaign import export_campaign
from pipelines.compare import build_comparison, write_page
from pipelines.demo.facts import Absence, ActivityFacts, Person, Stay
from pipelines.errors import TdbmsError
from pipelines.explain import explain, format_text
from pipelines.pseudonymise import Pseudonymiser, load_or_create_secret
from pipelines.releases import current_version
from pipelines.run import run_association
from pipelines.share import FORMAT, FORMAT_VERSION, build_share
from tests.conftest import make_association, query

D = dt.date
YEAR = 2024
IME, SESSAD = "990000101", "990000102"
SHEET = [
    {"finess": IME, "year": YEAR, "category_code": "183", "mode": "INT", "places_autorisees": 10,
     "places_installees": 10, "jours_ouverture": 210, "journees_financees": 2000},
    {"finess": SESSAD, "year": YEAR, "category_code": "182", "mode": "SERV", "places_autorisees": 20,
     "jours_ouverture": 210, "journees_financees": 3000},
]
NAMES = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
         "SIMON", "MICHEL"]


def fixture_facts() -> ActivityFacts:
    # IME: P1–P5 aged 10 on 31/12 (6-10 ans), P6–P7 aged 12 (11-15 ans); P1–P4 under protection (a cell of 4);
    # P8 leaves in June. SESSAD: 4 persons only (every value below the threshold).
    births = [D(2014, 5, 1)] * 5 + [D(2012, 3, 1)] * 2 + [D(2013, 1, 1)] + [D(2015, 1, 1)] * 4
    persons = [Person(f"U{i:03d}", NAMES[i - 1], f"Prénom{NAMES[i - 1]}", "F", births[i - 1], protection=i <= 4)
               for i in range(1, 13)]
    stays = [Stay(f"S{i}", f"U{i:03d}", IME, "INT", D(2023, 9, 4), provenance="DOM") for i in range(1, 7)]
    stays += [
        Stay("S7", "U007", IME, "INT", D(2024, 2, 1), provenance="DOM"),
        Stay("S8", "U008", IME, "INT", D(2023, 9, 4), D(2024, 6, 15), "DOM", "DOM"),
    ]
    stays += [Stay(f"S{i}", f"U{i:03d}", SESSAD, "SERV", D(2023, 1, 2), provenance="DOM") for i in range(9, 13)]
    absences = [Absence("S1", D(2024, 3, 4), D(2024, 3, 8), "HOSP")]
    return ActivityFacts(persons=persons, stays=stays, absences=absences, extraction_date=D(2025, 1, 31))


@pytest.fixture(scope="module")
def association(tmp_path_factory):
    facts = fixture_facts()
    cfg = make_association(tmp_path_factory.mktemp("outputs"), "pivot", facts, SHEET, assoc_id="sortie_test")
    report = run_association(cfg)
    assert not report.rejected_files and report.rejected_lines == 0
    return cfg, facts


def days(first: dt.date, end: dt.date) -> set[dt.date]:
    """Days of [first, end)."""
    return {first + dt.timedelta(days=k) for k in range((end - first).days)}


def fct(cfg, code: str, finess: str, breakdown: str | None = None) -> dict:
    (row,) = query(cfg, """select value, status, numerator, denominator from fct_indicator_values
                           where indicator_code = ? and finess = ? and year = ? and period_type = 'year'
                             and breakdown is not distinct from ?""", [code, finess, YEAR, breakdown])
    return dict(zip(("value", "status", "numerator", "denominator"), row, strict=True))


# ------------------------------------------------------------------------------------------ campaign


def test_campaign_workbook_and_csv(association, tmp_path):
    cfg, _ = association
    csv_path, reasons_path, xlsx_path = export_campaign(cfg, YEAR, tmp_path)
    catalogue = {code: (columns.split(), labels.split(" | ")) for code, columns, labels in
                 query(cfg, "select code, atih_column, atih_label from indicator_catalogue where atih_column <> ''")}
    expected_label = {c: label for columns, labels in catalogue.values() for c, label in zip(columns, labels, strict=True)}

    workbook = load_workbook(xlsx_path, read_only=True)
    table = [list(r) for r in workbook["Campagne"].iter_rows(values_only=True)]
    letters, labels, data = table[0], table[1], {row[1]: row for row in table[2:]}
    assert set(data) == {IME, SESSAD}
    ordered = [c for c in letters if c]
    assert ordered == sorted(ordered, key=lambda c: (len(c), c))  # the Appendix A order
    column = {c: i for i, c in enumerate(letters) if c}
    for c in ("HC", "HH", "GK"):
        assert labels[column[c]] == expected_label[c]
    assert labels[column["AD"]] == "- Nombre de lits et places autorisés au 31.12.N-1 (permanent)"

    occupation = fct(cfg, "A1-15", IME, "permanent")
    assert occupation["status"] == "ok"
    assert data[IME][column["HC"]] == pytest.approx(round(occupation["value"] * 100, 2))  # « en % »
    assert data[IME][column["HH"]] == fct(cfg, "A1-18", IME)["value"] == 8
    assert data[IME][column["GK"]] == pytest.approx(round(fct(cfg, "A1-08", IME)["value"] * 100, 2))
    assert data[IME][column["AD"]] == 10 and data[SESSAD][column["AD"]] == 20  # SERV places are permanent
    assert data[IME][column["HD"]] is None and data[IME][column["AF"]] is None  # no hébergement temporaire
    assert data[IME][-1] == cfg.release == current_version()  # the release of the definitions

    reasons = {(r[0], r[2]): r for r in workbook["Valeurs absentes"].iter_rows(min_row=2, values_only=True)}
    assert reasons[(IME, "HD")][4] == "A1-15" and reasons[(IME, "HD")][5] == "Non applicable"
    assert reasons[(IME, "AF")][4] == "Fiche ESMS"
    assert (IME, "HC") not in reasons

    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == [c or "" for c in letters] and rows[1] == list(labels)
    csv_ime = next(r for r in rows[2:] if r[1] == IME)
    assert float(csv_ime[column["HC"]].replace(",", ".")) == pytest.approx(data[IME][column["HC"]])
    assert csv_ime[column["HD"]] == ""
    with open(reasons_path, encoding="utf-8-sig", newline="") as handle:
        assert any(r[0] == IME and r[2] == "HD" for r in csv.reader(handle, delimiter=";"))


# ------------------------------------------------------------------------------------------- explain


def test_explain_occupation_lists_stay_months(association):
    cfg, facts = association
    key = Pseudonymiser(load_or_create_secret(cfg.secret_path)).key
    result = explain(cfg, "A1-15", IME, YEAR, breakdown="permanent")
    numerator = [r for r in result["enregistrements"] if r["role"] == "numérateur"]

    year = days(D(YEAR, 1, 1), D(YEAR + 1, 1, 1))
    expected = {}
    for line, stay in enumerate(facts.stays, start=2):  # line 1 of stays.csv is the header
        if stay.finess == IME:
            absent = set().union(*(days(a.first_day, a.last_day + dt.timedelta(days=1))
                                   for a in facts.absences if a.stay_id == stay.stay_id))
            covered = days(stay.entry, stay.exit or D(2100, 1, 1)) & year
            expected[(key(stay.person_id, "person"), "stays.csv", line)] = len(covered - absent)
    found = {}
    for r in numerator:
        found[(r["personne"], r["fichier"], r["ligne"])] = found.get((r["personne"], r["fichier"], r["ligne"]), 0) \
            + r["quantite"]
    assert found == expected
    assert len({(r["reference"], r["date"]) for r in numerator}) == len(numerator)  # one record per stay × month
    assert [r["fichier"] for r in result["enregistrements"] if r["role"] == "dénominateur"] == ["caracterisation.csv"]
    assert all(c["concordant"] for c in result["controles"]) and len(result["controles"]) == 2


def test_explain_file_active_lists_persons_and_exits(association):
    cfg, facts = association
    key = Pseudonymiser(load_or_create_secret(cfg.secret_path)).key
    result = explain(cfg, "A1-18", IME, YEAR)
    line_of = {stay.stay_id: line for line, stay in enumerate(facts.stays, start=2)}
    present = {(key(s.person_id, "person"), line_of[s.stay_id]) for s in facts.stays if s.finess == IME and not s.exit}
    exits = {(key(s.person_id, "person"), line_of[s.stay_id]) for s in facts.stays
             if s.finess == IME and s.exit and s.exit.year == YEAR}
    records = result["enregistrements"]
    assert {(r["personne"], r["ligne"]) for r in records if r["detail"].startswith("présente")} == present
    assert {(r["personne"], r["ligne"]) for r in records if r["detail"].startswith("sortie")} == exits
    assert result["controles"] == [{"classe": None, "role": "numérateur", "somme_enregistrements": 8,
                                    "valeur_entrepot": 8.0, "concordant": True}]

    text = format_text(result, limit=0) + json.dumps(explain(cfg, "A1-18", IME, YEAR, month=3), ensure_ascii=False)
    for person in facts.persons:
        assert person.last_name not in text and person.first_name not in text and person.person_id not in text
    assert "stays.csv" in text and "concordant" in text


def test_explain_without_drill_down_and_errors(association):
    cfg, _ = association
    result = explain(cfg, "A1-06", IME, YEAR)
    assert not result["detail_disponible"] and result["enregistrements"] == []
    assert "pas encore disponible" in result["message"] and result["valeurs"]
    assert "pas encore disponible" in format_text(result)
    with pytest.raises(TdbmsError, match="inconnu"):
        explain(cfg, "Z9-99", IME, YEAR)
    with pytest.raises(TdbmsError, match="fiche ESMS"):
        explain(cfg, "A1-18", "990000999", YEAR)


# --------------------------------------------------------------------------------------------- share


def test_share_suppresses_small_cells_and_holds_no_key(association):
    cfg, _ = association
    data = build_share(cfg, YEAR)
    assert data["format"] == FORMAT and data["version_format"] == FORMAT_VERSION and data["seuil_secret"] == 5
    values = {(v["esms"], v["indicateur"], v["classe"]): v for v in data["valeurs"]}

    assert values[(IME, "A1-18", None)]["effectif"] == 8 and values[(IME, "A1-18", None)]["valeur"] == 8
    occupation = values[(IME, "A1-15", "permanent")]
    assert occupation["effectif"] == 7 and occupation["valeur"] == pytest.approx(fct(cfg, "A1-15", IME, "permanent")["value"])
    assert fct(cfg, "A1-08", IME)["numerator"] == 4 and (IME, "A1-08", None) not in values  # a cell of 4
    assert fct(cfg, "A1-18", SESSAD)["value"] == 4 and not any(v["esms"] == SESSAD for v in data["valeurs"])
    # age classes: 5 and 2 persons; the 2 is suppressed, and the 5 with it (else 7 − 5 gives it back)
    assert fct(cfg, "A1-02", IME, "6-10 ans")["numerator"] == 5
    assert not [v for v in data["valeurs"] if v["indicateur"] == "A1-02" and v["valeur"] > 0]
    assert values[(IME, "A1-02", "<1 an")]["valeur"] == 0
    assert data["valeurs_masquees"] > 0 and not any(v["variante_locale"] for v in data["valeurs"])

    text = json.dumps(data, ensure_ascii=False)
    for (person_key,) in query(cfg, "select person_key from int_persons union select stay_key from int_stays"):
        assert person_key not in text
    anonymous = json.dumps(build_share(cfg, YEAR, anonymise_finess=True), ensure_ascii=False)
    assert IME not in anonymous and SESSAD not in anonymous and '"finess_anonymises": true' in anonymous
    assert re.findall(r'"esms": "(\w+)"', anonymous) != re.findall(
        r'"esms": "(\w+)"', json.dumps(build_share(cfg, YEAR, anonymise_finess=True)))  # drawn per file


# ------------------------------------------------------------------------------------------- compare


def share_file(path, association: str, values: list[tuple], year: int = YEAR):
    """A share file written by hand: values = (esms, category, indicator, class, value, local variant)."""
    data = {
        "format": FORMAT, "version_format": FORMAT_VERSION, "genere_le": "2025-03-01T10:00:00",
        "association": {"id": association, "nom": f"Association {association}"}, "annee": year,
        "seuil_secret": 5, "finess_anonymises": True, "variantes_locales": {}, "valeurs_masquees": 0,
        "categories": [{"code": "500", "libelle": "EHPAD", "nombre_esms": 2}],
        "indicateurs": {"A1-15": {"libelle": "Taux d'occupation", "unite": "%", "version_definition": "2026.1",
                                  "classes": {"permanent": "Accompagnement permanent"}},
                        "A1-18": {"libelle": "File active", "unite": "personnes", "version_definition": "2026.1",
                                  "classes": {}}},
        "valeurs": [{"esms": e, "categorie": c, "indicateur": i, "classe": k, "valeur": x,
                     "unite": "%" if i == "A1-15" else "personnes", "effectif": 50, "base_effectif": "denominateur",
                     "version_definition": "2026.1", "variante_locale": local} for e, c, i, k, x, local in values],
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_compare_page_shows_quartiles(tmp_path):
    files = [
        share_file(tmp_path / "a.json", "asso_a", [("E1", "500", "A1-15", "permanent", 0.90, False),
                                                  ("E2", "500", "A1-15", "permanent", 0.95, False),
                                                  ("E1", "500", "A1-18", None, 120, False)]),
        share_file(tmp_path / "b.json", "asso_b", [("F1", "500", "A1-15", "permanent", 0.80, False)]),
        share_file(tmp_path / "c.json", "asso_c", [("G1", "500", "A1-15", "permanent", 0.99, False),
                                                  ("G2", "500", "A1-15", "permanent", 0.70, True)]),
    ]
    # sorted comparable values 0.80 0.90 0.95 0.99 (the local variant 0.70 is left out); linear interpolation:
    # Q1 at rank 0.75 = 0.80 + 0.75 × 0.10, median at 1.5 = (0.90 + 0.95) / 2, Q3 at 2.25 = 0.95 + 0.25 × 0.04
    page = write_page(files, tmp_path / "site")
    html = page.read_text(encoding="utf-8")
    assert page.name == "parangonnage.html" and not re.search(r'(src|href)="https?:|<script', html)  # no network
    row = re.search(r'<tr data-category="500" data-indicator="A1-15" data-class="permanent"[^>]*>', html).group(0)
    stats = dict(re.findall(r'data-(n|q1|median|q3)="([^"]+)"', row))
    assert int(stats["n"]) == 4
    assert float(stats["q1"]) == pytest.approx(0.875)
    assert float(stats["median"]) == pytest.approx(0.925)
    assert float(stats["q3"]) == pytest.approx(0.96)
    assert "87,5" in html and "92,5" in html and "96,0" in html
    assert "F1 : 80,0\u00a0% (1er quartile)" in html and "G1 : 99,0\u00a0% (4e quartile)" in html
    assert "G2 : 70,0\u00a0% (variante locale, hors quartiles)" in html
    assert 'data-indicator="A1-18" data-class="" data-n="1">' in html and "moins de 3 ESMS" in html

    (row,) = [r for _, _, rows in build_comparison(files)["categories"] for r in rows if r.indicator == "A1-15"]
    assert row.shown("asso_a") == ["E1 : 90,0\u00a0% (2e quartile)", "E2 : 95,0\u00a0% (3e quartile)"]


def test_compare_refuses_unlike_files(tmp_path):
    a = share_file(tmp_path / "a.json", "asso_a", [])
    with pytest.raises(TdbmsError, match="années différentes"):
        build_comparison([a, share_file(tmp_path / "b.json", "asso_b", [], year=2023)])
    with pytest.raises(TdbmsError, match="même association"):
        build_comparison([a, share_file(tmp_path / "c.json", "asso_a", [])])
    (tmp_path / "d.json").write_text('{"format": "autre"}', encoding="utf-8")
    with pytest.raises(TdbmsError, match="tdbms-partage"):
        build_comparison([tmp_path / "d.json"])
