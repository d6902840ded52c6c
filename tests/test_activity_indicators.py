"""A1-15 and A1-18 on a small hand-made fixture, for the pivot and export_csv families.

The expected values are computed here from the fixture's facts with the decisions' rules (AC-01
[entry, exit), AC-02 absences inclusive, AC-03 persons at the end of the period, AC-04 exits on
accompagnements, AC-12 journées, AC-13 mode groups, AC-19 monthly spread), independently of the SQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.demo.facts import Absence, ActivityFacts, Attendance, Person, Stay
from pipelines.run import run_association
from tests.conftest import indicator, make_association

D = dt.date
FINESS = "990000011"
YEAR = 2024
SHEET = [
    {"finess": FINESS, "year": YEAR, "category_code": "183", "mode": "INT", "places_autorisees": 4, "jours_ouverture": 210},
    {"finess": FINESS, "year": YEAR, "category_code": "183", "mode": "SEMI", "places_autorisees": 2, "jours_ouverture": 210},
]


def fixture_facts() -> ActivityFacts:
    persons = [
        Person(f"D{i:05d}", f"Nom{i}", f"Prénom{i}", "F" if i % 2 else "M", D(2010, 1, i)) for i in range(1, 5)
    ]
    stays = [
        # crosses the year boundary, hospitalised across it
        Stay("S1", "D00001", FINESS, "INT", D(2023, 9, 1), None, "DOM"),
        # enters on 29 February, dies in June
        Stay("S2", "D00002", FINESS, "INT", D(2024, 2, 29), D(2024, 6, 15), "SAN", "DC"),
        # mode change SEMI → INT on 1 March: one accompagnement
        Stay("S3a", "D00003", FINESS, "SEMI", D(2024, 1, 8), D(2024, 3, 1), "DOM", None),
        Stay("S3b", "D00003", FINESS, "INT", D(2024, 3, 1), None, None, None),
        # leaves in April, readmitted in September: two accompagnements
        Stay("S4a", "D00004", FINESS, "INT", D(2024, 1, 15), D(2024, 4, 30), "MS", "DOM"),
        Stay("S4b", "D00004", FINESS, "INT", D(2024, 9, 2), None, "DOM"),
    ]
    absences = [
        Absence("S1", D(2023, 12, 28), D(2024, 1, 3), "HOSP"),
        Absence("S4b", D(2024, 10, 10), D(2024, 10, 12), "CONV"),
    ]
    attendance = [Attendance("S3a", D(2024, 1, 8) + dt.timedelta(days=3 * k)) for k in range(10)]
    return ActivityFacts(persons=persons, stays=stays, absences=absences, attendance=attendance,
                         extraction_date=D(2025, 1, 31))


def days(start: dt.date, end: dt.date) -> set[dt.date]:
    """Days of [start, end)."""
    return {start + dt.timedelta(days=k) for k in range((end - start).days)}


def expected_journees(facts: ActivityFacts, first: dt.date, last: dt.date) -> int:
    period = days(first, last + dt.timedelta(days=1))
    total = 0
    for stay in facts.stays:
        if stay.mode == "SEMI":
            total += sum(1 for a in facts.attendance if a.stay_id == stay.stay_id and a.day in period)
            continue
        covered = days(stay.entry, stay.exit or D(2100, 1, 1)) & period
        absent = set()
        for absence in facts.absences:
            if absence.stay_id == stay.stay_id:
                absent |= days(absence.first_day, absence.last_day + dt.timedelta(days=1))
        total += len(covered - absent)
    return total


def expected_file_active(facts: ActivityFacts, first: dt.date, last: dt.date) -> int:
    accompagnements: list[tuple[dt.date, dt.date | None]] = []  # (start, end) per person chain
    for person in facts.persons:
        chain = None
        for stay in sorted((s for s in facts.stays if s.person_id == person.person_id), key=lambda s: s.entry):
            if chain and chain[1] is not None and stay.entry <= chain[1] + dt.timedelta(days=1):
                chain = (chain[0], stay.exit)
            else:
                if chain:
                    accompagnements.append(chain)
                chain = (stay.entry, stay.exit)
        accompagnements.append(chain)
    present = sum(1 for start, end in accompagnements if start <= last and (end is None or end > last))
    exits = sum(1 for _, end in accompagnements if end is not None and first <= end <= last)
    return present + exits


@pytest.mark.parametrize("family", ["pivot", "export_csv", "classeur_xlsx", "base_sqlite"])
def test_occupation_and_file_active(tmp_root, family):
    facts = fixture_facts()
    cfg = make_association(tmp_root, family, facts, SHEET)
    report = run_association(cfg, quality=False, dashboards=False)  # formulas only: quality has its own tests
    assert not report.rejected_files and report.rejected_lines == 0

    capacity_year = (4 + 2) * 210
    year = indicator(cfg, "A1-15", FINESS, YEAR, breakdown="permanent")
    assert year["status"] == "ok"
    assert year["numerator"] == expected_journees(facts, D(2024, 1, 1), D(2024, 12, 31)) == 1010
    assert year["denominator"] == pytest.approx(capacity_year)
    assert year["value"] == pytest.approx(1010 / capacity_year)

    march = indicator(cfg, "A1-15", FINESS, YEAR, month=3, breakdown="permanent")
    assert march["numerator"] == expected_journees(facts, D(2024, 3, 1), D(2024, 3, 31))
    assert march["denominator"] == pytest.approx(capacity_year * 31 / 366)  # AC-19, 2024 is a leap year

    for group in ("temporaire", "accueil_de_jour"):
        assert indicator(cfg, "A1-15", FINESS, YEAR, breakdown=group)["status"] == "not_applicable"

    assert indicator(cfg, "A1-18", FINESS, YEAR)["value"] == expected_file_active(facts, D(2024, 1, 1), D(2024, 12, 31)) == 5
    for month, last_day in ((1, 31), (6, 30), (9, 30)):
        expected = expected_file_active(facts, D(2024, month, 1), D(2024, month, last_day))
        assert indicator(cfg, "A1-18", FINESS, YEAR, month=month)["value"] == expected
    june_ytd = indicator(cfg, "A1-18", FINESS, YEAR, month=6, period_type="ytd")
    assert june_ytd["value"] == expected_file_active(facts, D(2024, 1, 1), D(2024, 6, 30))
