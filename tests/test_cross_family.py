"""Cross-family invariance: the same facts written in the four activity families give the same
fct_indicator_values, except what a family cannot carry (AC-21), which is listed here with its reason."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.run import run_association
from tests.conftest import make_association, query
from tests.test_activity_indicators_all import SHEET, fixture_facts

FAMILIES = ("pivot", "export_csv", "classeur_xlsx", "base_sqlite")
# What each family cannot carry (seeds/activity_family_capabilities.csv): those values are not_available
# there (AC-21), never 0.
NOT_CARRIED = {
    "export_csv": {"PATHOS points (no column in the export)": {"A1-05"}},
    "classeur_xlsx": {
        "acts (billing workbooks count days only)": {"A1-13", "A1-14", "A1-17"},
        "Creton flag (no column)": {"A1-01"},
    },
    "base_sqlite": {"Creton flag (no column in the database)": {"A1-01"}},
}
# What a family carries only in part: the values may differ from the pivot's, for this reason only.
PARTLY_CARRIED = {
    "export_csv": {"GIR history (the export gives the latest dated evaluation only, AC-08)": {"A1-03", "A1-04"}},
}


@pytest.fixture(scope="module")
def values(tmp_path_factory) -> dict[str, dict]:
    facts = fixture_facts()

    def run(family: str) -> dict:
        cfg = make_association(tmp_path_factory.mktemp(family), family, facts, SHEET, assoc_id=f"x_{family}")
        report = run_association(cfg, quality=False, dashboards=False)
        assert not report.rejected_files and report.rejected_lines == 0, family
        rows = query(cfg, """select indicator_code, finess, period_type, year, month, breakdown,
                                    numerator, denominator, value, status from fct_indicator_values""")
        return {tuple(r[:6]): r[6:] for r in rows}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(FAMILIES, pool.map(run, FAMILIES), strict=True))


def same(a, b) -> bool:
    return all(x == y or (isinstance(x, float) and isinstance(y, float) and abs(x - y) < 1e-9) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("family", FAMILIES[1:])
def test_same_facts_same_indicators_in_every_family(values, family):
    reference, got = values["pivot"], values[family]
    assert set(got) == set(reference), "the same rows (ESMS × period × indicator × class) in every family"
    not_carried = set().union(*NOT_CARRIED.get(family, {}).values())
    partly = set().union(*PARTLY_CARRIED.get(family, {}).values())
    differing = {key for key in reference if not same(reference[key], got[key])}
    unexplained = {
        key for key in differing
        # an input the family does not carry: no value (not_available, or not_applicable where the scope
        # excludes the ESMS anyway and only the informative numerator differs)
        if not (key[0] in not_carried and got[key][2] is None and got[key][3] in ("not_available", "not_applicable"))
        and key[0] not in partly
    }
    assert not unexplained, sorted(unexplained)[:10]
    # what the family cannot carry is really not_available (never a 0)
    for code in not_carried:
        assert any(key[0] == code and got[key][3] == "not_available" for key in got), code
