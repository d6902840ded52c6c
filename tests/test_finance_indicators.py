"""Finance indicators (A3-01 … A3-08, A2-02) from hand-made FEC files, through ingestion and dbt.

The expected values are computed here from the fixture's écritures with the decisions' rules (FI-01 to
FI-07, RH-13): balances per account, débiteur / créditeur splits per account, result of the year =
products − charges (the FEC has no closing entries).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from pipelines.dbt import run_dbt
from pipelines.demo.facts import ActivityFacts
from pipelines.ingest import ingest
from tests.conftest import make_association, query
from tests.test_fec_reader import fec_rows, write_fec

YEAR = 2024
EHPAD, IME, NO_FEC = "990000031", "990000032", "990000033"
SIREN = "123456789"

# (journal, number, date, [(account, debit, credit)]), amounts in euros
EHPAD_ECRITURES = [
    ("AN", "1", "20240101", [
        ("21310000", 1_000_000, 0), ("21350000", 200_000, 0), ("21410000", 100_000, 0), ("28131000", 0, 300_000),
        ("28141000", 0, 20_000), ("21540000", 50_000, 0), ("28154000", 0, 20_000), ("21840000", 30_000, 0),
        ("28184000", 0, 15_000), ("16410000", 0, 400_000), ("13100000", 0, 100_000), ("13900000", 20_000, 0),
        ("10682000", 0, 50_000), ("51200000", 150_000, 0), ("40100000", 0, 20_000), ("41100000", 30_000, 0),
        ("12000000", 0, 5_000), ("10200000", 0, 650_000),
    ]),
    ("DOT", "2", "20240131", [("41100000", 2_000_000, 0), ("73511000", 0, 2_000_000)]),
    ("BQ1", "3", "20240205", [("51200000", 1_900_000, 0), ("41100000", 0, 1_900_000)]),
    ("PAIE", "4", "20240228", [("64110000", 900_000, 0), ("64510000", 300_000, 0), ("42100000", 0, 700_000),
                               ("43100000", 0, 500_000)]),
    ("BQ1", "5", "20240301", [("42100000", 700_000, 0), ("43100000", 450_000, 0), ("51200000", 0, 1_150_000)]),
    ("PAIE", "6", "20240331", [("63110000", 40_000, 0), ("44710000", 0, 40_000)]),
    ("ACH", "7", "20240415", [
        ("60610000", 80_000, 0), ("61110000", 30_000, 0), ("61120000", 10_000, 0), ("62110000", 25_000, 0),
        ("62111000", 5_000, 0), ("61520000", 20_000, 0), ("62260000", 6_000, 0), ("65560000", 40_000, 0),
        ("40100000", 0, 216_000),
    ]),
    ("BQ1", "8", "20240510", [("16410000", 20_000, 0), ("66111000", 8_000, 0), ("51200000", 0, 28_000)]),
    ("OD", "9", "20240630", [("12000000", 5_000, 0), ("10686000", 0, 5_000)]),
    ("BQ1", "10", "20240901", [("51200000", 2_000, 0), ("77500000", 0, 2_000)]),
    ("OD", "11", "20240901", [("67500000", 1_500, 0), ("21840000", 0, 1_500)]),
    ("OD", "12", "20241015", [("44180000", 10_000, 0), ("74110000", 0, 10_000)]),
    ("VTE", "13", "20241105", [("70900000", 1_000, 0), ("41100000", 0, 1_000)]),
    ("OD", "14", "20241231", [("31000000", 500, 0), ("71300000", 0, 500)]),
    ("OD", "15", "20241231", [("15180000", 2_000, 0), ("78150000", 0, 2_000)]),
    ("BQ1", "16", "20241231", [("51200000", 300, 0), ("77810000", 0, 300)]),
    ("OD", "17", "20241231", [("68110000", 60_000, 0), ("28131000", 0, 40_000), ("28154000", 0, 10_000),
                              ("28184000", 0, 10_000)]),
    ("OD", "18", "20241231", [("13900000", 5_000, 0), ("77700000", 0, 5_000)]),
    ("OD", "19", "20241231", [("68150000", 3_000, 0), ("15180000", 0, 3_000)]),
]
SIEGE_ECRITURES = [("OD", "1", "20240301", [("62260000", 99_000, 0), ("51200000", 0, 99_000)])]
IME_UNBALANCED = [("ACH", "1", "20240301", [("60610000", 1_000, 0), ("40100000", 0, 900)])]
BUDGET_RECETTES, BUDGET_DEPENSES = 2_100_000, 1_500_000


def rows_of(ecritures) -> list[list[str]]:
    """The fixture écritures in the norm's 18 columns (reusing the reader tests' writer)."""
    def cents(euros: float) -> int:
        return round(euros * 100)

    as_reader_fixture = [
        (journal, journal, number, date, f"Écriture {number}",
         [(account, f"Compte {account}", "", "", cents(debit), cents(credit)) for account, debit, credit in lines])
        for journal, number, date, lines in ecritures
    ]
    return fec_rows(as_reader_fixture)


def balances(ecritures) -> dict[str, float]:
    """Closing balance (debit − credit) of each account."""
    result: dict[str, float] = defaultdict(float)
    for *_, lines in ecritures:
        for account, debit, credit in lines:
            result[account] += debit - credit
    return result


def net(b: dict, prefixes, exclude=()) -> float:
    return sum(v for a, v in b.items() if a.startswith(tuple(prefixes)) and not a.startswith(tuple(exclude) or "\0"))


def debit_balances(b: dict, prefixes) -> float:
    return sum(v for a, v in b.items() if a.startswith(tuple(prefixes)) and v > 0)


def credit_balances(b: dict, prefixes) -> float:
    return sum(-v for a, v in b.items() if a.startswith(tuple(prefixes)) and v < 0)


def groupe(account: str) -> str:
    """FI-02, written out independently of the seed."""
    if account.startswith(("621", "631", "633", "64")):
        return "II"
    if account.startswith(("60", "611", "624", "625", "626", "628")):
        return "I"
    return "III"


def expected_values() -> dict:
    b = balances(EHPAD_ECRITURES)
    result = -net(b, ["6", "7"])
    caf = result + net(b, ["68"]) + net(b, ["78"]) + net(b, ["775"]) + net(b, ["675"]) + net(b, ["777"]) + net(b, ["778"])
    charges = {g: sum(v for a, v in b.items() if a.startswith("6") and groupe(a) == g) for g in ("I", "II", "III")}
    frng = credit_balances(b, ["1", "2", "39", "49", "59"]) + result - debit_balances(b, ["1", "2"])
    return {
        ("A3-01", None): (-net(b, ["7"]), BUDGET_RECETTES),
        ("A3-02", None): (net(b, ["6"]), BUDGET_DEPENSES),
        ("A3-03", None): (caf, -net(b, ["7"], exclude=["775", "777", "7781", "78", "713"])),
        ("A3-04", None): (credit_balances(b, ["2813", "2814"]), debit_balances(b, ["213", "214"])),
        ("A3-05", None): (credit_balances(b, ["2815", "2818"]), debit_balances(b, ["215", "218"])),
        ("A3-05", "installations_techniques"): (credit_balances(b, ["2815"]), debit_balances(b, ["215"])),
        ("A3-05", "autres_immobilisations"): (credit_balances(b, ["2818"]), debit_balances(b, ["218"])),
        ("A3-06", None): (
            credit_balances(b, ["163", "164", "165", "167"]),
            credit_balances(b, ["10", "11", "12", "13", "14", "15", "163", "164", "165", "166", "167", "168"])
            + max(result, 0),
        ),
        ("A3-07", None): (frng, net(b, ["6"], exclude=["68", "675"]) / 365),
        **{("A3-08", g): (charges[g], sum(charges.values())) for g in ("I", "II", "III")},
        ("A2-02", None): (
            net(b, ["6111", "6112", "621"], exclude=["62111"]),
            charges["II"] + net(b, ["6111", "6112"]),
        ),
    }


MODELS = {
    "A3-01": "ind_a3_01_atteinte_recettes", "A3-02": "ind_a3_02_atteinte_depenses", "A3-03": "ind_a3_03_taux_caf",
    "A3-04": "ind_a3_04_vetuste_constructions", "A3-05": "ind_a3_05_vetuste_equipements",
    "A3-06": "ind_a3_06_endettement", "A3-07": "ind_a3_07_fonds_roulement_jours",
    "A3-08": "ind_a3_08_structure_depenses", "A2-02": "ind_a2_02_prestations_externes",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("finance")
    fec = root / "sources" / "fec"
    write_fec(fec / "EHPAD" / f"{SIREN}FEC{YEAR}1231.txt", rows_of(EHPAD_ECRITURES))
    write_fec(fec / "SIEGE" / f"{SIREN}FEC{YEAR}1231.txt", rows_of(SIEGE_ECRITURES))
    write_fec(fec / "IME" / f"{SIREN}FEC{YEAR}1231.txt", rows_of(IME_UNBALANCED))
    sheet = [
        {"finess": EHPAD, "year": YEAR, "category_code": "500", "mode": "HP", "places_autorisees": 80,
         "jours_ouverture": 365, "budget_recettes": BUDGET_RECETTES, "budget_depenses": BUDGET_DEPENSES},
        {"finess": IME, "year": YEAR, "category_code": "183", "mode": "INT", "places_autorisees": 40,
         "jours_ouverture": 210},
        {"finess": NO_FEC, "year": YEAR, "category_code": "183", "mode": "INT", "places_autorisees": 10,
         "jours_ouverture": 210},
    ]
    cfg = make_association(root, "pivot", ActivityFacts(), sheet, assoc_id="asso_finance", fec_path=fec,
                           fec_dossiers={"EHPAD": EHPAD, "IME": IME, "SIEGE": "siege"})
    ingest(cfg)
    run_dbt(cfg, ["build", "--select", "+path:models/marts/indicators/finance", "+int_fec_account_balances_monthly",
                  "--indirect-selection", "cautious"])
    return cfg


def model_values(cfg, model: str) -> dict:
    """An indicator model's rows: (finess, period_type, month, breakdown) -> (numerator, denominator, value, status)."""
    rows = query(cfg, f"select finess, period_type, month, breakdown, numerator, denominator, value, status from {model}")
    return {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}


def values(cfg, code: str) -> dict:
    return model_values(cfg, MODELS[code])


@pytest.mark.parametrize("code", list(MODELS))
def test_annual_values_match_the_hand_computed_balances(built, code):
    got = values(built, code)
    for (expected_code, breakdown), (numerator, denominator) in expected_values().items():
        if expected_code != code:
            continue
        n, d, value, status = got[(EHPAD, "year", None, breakdown)]
        assert status == "ok", (code, breakdown)
        assert n == pytest.approx(numerator) and d == pytest.approx(denominator), (code, breakdown)
        assert value == pytest.approx(numerator / denominator)


def test_the_groupes_fonctionnels_cover_the_charges():
    e = expected_values()
    assert sum(e[("A3-08", g)][0] for g in ("I", "II", "III")) == pytest.approx(e[("A3-02", None)][0])


def test_statuses_for_months_unusable_files_and_esms_without_accounts(built):
    got = values(built, "A3-04")
    assert {v[3] for (finess, period, *_), v in got.items() if finess == EHPAD and period != "year"} == {"not_applicable"}
    ime = got[(IME, "year", None, None)]
    assert ime[3] in ("failed_checks", "not_applicable")  # an unbalanced FEC: its figures are not used
    assert values(built, "A3-02")[(IME, "year", None, None)][3] == "missing_input"  # no budget in the sheet
    assert values(built, "A3-08")[(IME, "year", None, "I")][3] == "failed_checks"
    assert values(built, "A3-08")[(IME, "year", None, "I")][2] is None
    assert {values(built, code)[(NO_FEC, "year", None, None)][3] for code in ("A3-01", "A3-03", "A3-06")} == {
        "missing_input"
    }


def test_the_siege_dossier_counts_for_no_esms(built):
    external = values(built, "A2-02")[(EHPAD, "year", None, None)][0]
    assert external == pytest.approx(30_000 + 10_000 + 25_000)  # 6226 of the siège is not there
    finess = {row[0] for row in query(built, "select distinct finess from int_fec_account_balances")}
    assert finess == {EHPAD, IME}


def test_the_monthly_trial_balance_cumulates_the_entries_by_their_date(built):
    """FI-17: at the end of each month, the à-nouveaux plus every entry dated up to then; December is the year."""
    got = {(month, account): closing for month, account, closing in query(
        built, "select month(month_end), compte_num, closing from int_fec_account_balances_monthly where finess = ?",
        [EHPAD])}
    accounts = {account for *_, lines in EHPAD_ECRITURES for account, _, _ in lines}
    expected = {
        (month, account): sum(debit - credit for _, _, date, lines in EHPAD_ECRITURES if int(date[4:6]) <= month
                              for a, debit, credit in lines if a == account)
        for month in range(1, 13) for account in accounts
    }
    assert got.keys() == expected.keys()
    assert all(got[key] == pytest.approx(value) for key, value in expected.items())
    annual = dict(query(built, "select compte_num, closing from int_fec_account_balances where finess = ?", [EHPAD]))
    assert {a: got[(12, a)] for a in accounts} == pytest.approx(annual)
    assert got[(2, "51200000")] == pytest.approx(150_000 + 1_900_000)  # à-nouveaux + the February receipt
