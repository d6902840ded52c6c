"""EHPAD tariff sections (A3-09, A3-10, A3-11) through the association's `[fec.sections]` (FI-10, FI-16).

Hand-made FEC files whose accounts carry the section in their last digit, as the demo's: the expected
values are computed here from the fixture's écritures with the decisions' rules (first matching rule in
the order hébergement, dépendance, soins; components of the soins section by longest prefix).
"""

from __future__ import annotations

import dataclasses
import re
import shutil

import pytest

from pipelines.config import AssociationConfig, load_config
from pipelines.dbt import run_dbt
from pipelines.demo.association import write_config
from pipelines.demo.facts import ActivityFacts
from pipelines.demo.fec import account
from pipelines.demo.generate import write_demo_configs
from pipelines.errors import ConfigError
from pipelines.ingest import ingest, prepare_warehouse
from pipelines.warehouse import connect
from tests.conftest import make_association, query
from tests.test_fec_reader import write_fec
from tests.test_finance_indicators import balances, model_values, rows_of

YEAR = 2024
SIREN = "123456789"
EHPAD, EHPAD_NO_DOTATION, SSIAD, IME = "990000041", "990000042", "990000043", "990000044"
DOTATION_SOINS = 1_000_000
# 60660001 (fournitures médicales booked in hébergement) also matches the soins rule: hébergement wins.
SECTIONS = {"hebergement": "^[67].*1$", "dependance": "^[67].*2$", "soins": "^[67].*3$|^6066"}
SECTION_CODES = tuple(SECTIONS)
COMPONENTS = ("personnel", "prestations_fournitures_medicales", "materiel_medical")

# (journal, number, date, [(account, debit, credit)]), amounts in euros
EHPAD_ECRITURES = [
    ("AN", "1", "20240101", [("51200000", 500_000, 0), ("10200000", 0, 500_000)]),
    ("DOT", "2", "20240131", [
        ("41100000", 2_000_000, 0), ("73511003", 0, 700_000), ("73521002", 0, 300_000), ("73531001", 0, 1_000_000),
    ]),
    ("VTE", "3", "20240215", [("70900001", 1_000, 0), ("41100000", 0, 1_000)]),  # rabais, hébergement
    ("OD", "4", "20240415", [("44180000", 10_000, 0), ("74110000", 0, 10_000)]),  # no section
    ("PAIE", "5", "20240228", [
        ("64110001", 300_000, 0), ("64110002", 200_000, 0), ("64110003", 400_000, 0), ("64510003", 150_000, 0),
        ("42100000", 0, 1_050_000),
    ]),
    ("ACH", "6", "20240310", [
        ("62110003", 20_000, 0), ("60660003", 30_000, 0), ("61110003", 25_000, 0), ("62260003", 10_000, 0),
        ("61350003", 8_000, 0), ("61550003", 2_000, 0), ("60610001", 80_000, 0), ("60660001", 4_000, 0),
        ("66111000", 5_000, 0), ("40100000", 0, 184_000),
    ]),
    ("ACH", "7", "20240320", [("40100000", 1_000, 0), ("60660003", 0, 1_000)]),  # avoir on medical supplies
    ("OD", "8", "20241231", [("68110003", 12_000, 0), ("28154000", 0, 12_000)]),
]
SMALL_EHPAD_ECRITURES = [
    ("VTE", "1", "20240131", [("41100000", 50_000, 0), ("73531001", 0, 50_000)]),
    ("PAIE", "2", "20240131", [("64110003", 20_000, 0), ("42100000", 0, 20_000)]),
]
SSIAD_ECRITURES = [  # accounts without a section
    ("DOT", "1", "20240131", [("41100000", 90_000, 0), ("73110000", 0, 90_000)]),
    ("PAIE", "2", "20240131", [("64110000", 60_000, 0), ("42100000", 0, 60_000)]),
]


def section(account_number: str) -> str | None:
    """FI-10: the first section whose rule is found in the account number; classes 6 and 7 only."""
    if account_number[0] not in "67":
        return None
    return next((s for s in SECTION_CODES if re.search(SECTIONS[s], account_number)), None)


def component(account_number: str) -> str:
    """FI-16, written out independently of the seed (longest prefix)."""
    if account_number.startswith(("621", "631", "633", "64")):
        return "personnel"
    if account_number.startswith(("6122", "6135", "6155", "6156", "6811")):
        return "materiel_medical"
    return "prestations_fournitures_medicales"


def expected(ecritures) -> dict:
    b = balances(ecritures)
    recettes = {s: -sum(v for a, v in b.items() if a[0] == "7" and section(a) == s) for s in SECTION_CODES}
    depenses = {s: sum(v for a, v in b.items() if a[0] == "6" and section(a) == s) for s in SECTION_CODES}
    soins = {c: sum(v for a, v in b.items() if a[0] == "6" and section(a) == "soins" and component(a) == c)
             for c in COMPONENTS}
    return {
        **{("A3-09", s): (recettes[s], sum(recettes.values())) for s in SECTION_CODES},
        **{("A3-10", s): (depenses[s], sum(depenses.values())) for s in SECTION_CODES},
        ("A3-11", None): (depenses["soins"], DOTATION_SOINS),
        **{("A3-11", c): (soins[c], DOTATION_SOINS) for c in COMPONENTS},
    }


MODELS = {"A3-09": "ind_a3_09_recettes_sections", "A3-10": "ind_a3_10_depenses_sections",
          "A3-11": "ind_a3_11_dotation_soins"}
SELECT = ["--select", *(f"+{model}" for model in MODELS.values()), "--indirect-selection", "cautious"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sections")
    fec = root / "sources" / "fec"
    for dossier, ecritures in (("EHPAD", EHPAD_ECRITURES), ("EHPAD2", SMALL_EHPAD_ECRITURES),
                               ("SSIAD", SSIAD_ECRITURES), ("IME", SSIAD_ECRITURES)):
        write_fec(fec / dossier / f"{SIREN}FEC{YEAR}1231.txt", rows_of(ecritures))
    esms = {EHPAD: ("500", "HP", DOTATION_SOINS), EHPAD_NO_DOTATION: ("500", "HP", None),
            SSIAD: ("354", "SERV", 100_000), IME: ("183", "INT", None)}
    sheet = [{"finess": finess, "year": YEAR, "category_code": category, "mode": mode, "places_autorisees": 40,
              "jours_ouverture": 365, "dotation_soins": dotation} for finess, (category, mode, dotation) in esms.items()]
    cfg = make_association(root, "pivot", ActivityFacts(), sheet, assoc_id="asso_sections", fec_path=fec,
                           fec_dossiers={"EHPAD": EHPAD, "EHPAD2": EHPAD_NO_DOTATION, "SSIAD": SSIAD, "IME": IME},
                           fec_sections=SECTIONS)
    ingest(cfg)
    run_dbt(cfg, ["build", *SELECT])
    return cfg


def values(cfg, code: str) -> dict:
    return model_values(cfg, MODELS[code])


@pytest.mark.parametrize("code", list(MODELS))
def test_annual_values_match_the_hand_computed_sections(built, code):
    got = values(built, code)
    for (expected_code, breakdown), (numerator, denominator) in expected(EHPAD_ECRITURES).items():
        if expected_code != code:
            continue
        n, d, value, status = got[(EHPAD, "year", None, breakdown)]
        assert status == "ok", (code, breakdown)
        assert n == pytest.approx(numerator) and d == pytest.approx(denominator), (code, breakdown)
        assert value == pytest.approx(numerator / denominator)


def test_the_fixture_exercises_every_rule():
    e = expected(EHPAD_ECRITURES)
    assert section("60660001") == "hebergement" and section("74110000") is None  # overlap, no section
    assert all(e[("A3-11", c)][0] > 0 for c in COMPONENTS)
    # shares sum to 1; the components sum to the rate
    for code in ("A3-09", "A3-10"):
        assert sum(e[(code, s)][0] for s in SECTION_CODES) == pytest.approx(e[(code, "soins")][1])
    assert sum(e[("A3-11", c)][0] for c in COMPONENTS) == pytest.approx(e[("A3-11", None)][0])


def test_every_frame_row_has_its_classes_and_statuses(built):
    a309, a311 = values(built, "A3-09"), values(built, "A3-11")
    assert {b for (f, p, m, b) in a309 if f == EHPAD and p == "year"} == set(SECTION_CODES)
    assert {b for (f, p, m, b) in a311 if f == EHPAD and p == "year"} == {None, *COMPONENTS}
    assert {v[3] for (f, p, *_), v in a309.items() if f == EHPAD and p != "year"} == {"not_applicable"}
    assert {v[3] for (f, *_), v in a309.items() if f in (SSIAD, IME)} == {"not_applicable"}  # EHPAD only
    assert {v[3] for (f, p, *_), v in a311.items() if f == IME} == {"not_applicable"}
    # the SSIAD's accounts fall in no section: no charge of the soins section is missing_input, never 0
    assert a311[(SSIAD, "year", None, None)][3] == "missing_input"
    # a sheet without dotation_soins
    assert a311[(EHPAD_NO_DOTATION, "year", None, None)][3] == "missing_input"
    assert a311[(EHPAD_NO_DOTATION, "year", None, None)][2] is None
    small = values(built, "A3-09")[(EHPAD_NO_DOTATION, "year", None, "hebergement")]
    assert small[3] == "ok" and small[2] == pytest.approx(1.0)


def test_without_a_section_mapping_the_values_are_missing(built, tmp_path):
    """The same warehouse, its configuration written again without [fec.sections]."""
    cfg = dataclasses.replace(built, fec_sections={}, output_dir=tmp_path / built.id)
    cfg.output_dir.mkdir()
    shutil.copy(built.warehouse_path, cfg.warehouse_path)
    con = connect(cfg.warehouse_path)
    try:
        prepare_warehouse(con, cfg)
    finally:
        con.close()
    run_dbt(cfg, ["build", "--select", *MODELS.values()])
    for code in MODELS:
        rows = [v for (f, p, *_), v in values(cfg, code).items() if f == EHPAD and p == "year"]
        assert {v[3] for v in rows} == {"missing_input"} and {v[0] for v in rows} == {None}, code


# --------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------


def config_with(tmp_path, sections) -> AssociationConfig:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / "fiche.csv").write_text("finess\n", encoding="utf-8")
    path = write_config(tmp_path / "asso.toml", assoc_id="asso", name="Asso", family="pivot", activity_path=folder,
                        esms_sheet_path=folder / "fiche.csv", secret_path=tmp_path / "secret.key", fec_path=folder,
                        fec_dossiers={"E": "990000041"}, fec_sections=sections)
    return load_config(path)


def test_section_rules_are_read_and_written_to_the_warehouse(built):
    assert built.fec_sections == SECTIONS
    assert dict(query(built, "select section, account_pattern from cfg_fec_sections")) == SECTIONS


@pytest.mark.parametrize(("sections", "message"), [
    ({**SECTIONS, "hébergement": "^6"}, "section « hébergement » inconnue. Sections possibles : hebergement, dependance"),
    ({"hebergement": "^6", "soins": "^7"}, "la règle de la section « dependance » manque"),
    ({**SECTIONS, "soins": "^6[0-9"}, r"soins = « \^6\[0-9 » : expression régulière invalide \(missing \]"),
    ({**SECTIONS, "soins": "^(?=6)"}, "expression régulière invalide"),  # valid in Python, not in RE2
    ({**SECTIONS, "soins": " "}, "attendu une expression régulière non vide"),
])
def test_invalid_section_rules_are_refused_in_french(tmp_path, sections, message):
    with pytest.raises(ConfigError, match=message):
        config_with(tmp_path, sections)


def test_no_section_table_means_no_rules(tmp_path):
    assert config_with(tmp_path, None).fec_sections == {}


def test_the_demo_rules_put_each_demo_account_in_its_section(tmp_path):
    """pipelines/demo/fec.py: an EHPAD's charge and product accounts end with their section, others with 0."""
    configs = {p.stem: p.read_text(encoding="utf-8") for p in write_demo_configs(tmp_path)}
    assert "[fec.sections]" in configs["demo_mixte"] and "[fec.sections]" not in configs["demo_enfance"]
    rules = dict(re.findall(r'^"(\w+)" = "(.+)"$', configs["demo_mixte"].split("[fec.sections]")[1], re.MULTILINE))
    for digit, code in enumerate(SECTION_CODES, start=1):
        for base in ("6411", "6066", "73511", "7411"):
            number = account(base, digit)
            assert [s for s, rule in rules.items() if re.search(rule, number)] == [code], number
    assert not any(re.search(rule, account("6411")) for rule in rules.values())
