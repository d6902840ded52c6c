"""HR indicators (A2-01, A2-03 … A2-10) from hand-made monthly DSN files, through ingestion and dbt.

The staff below is written as one DSN per month (December 2023 to December 2024) in the norm's grammar
(the reader tests' line builders). Expected values are computed here from the same facts with the
decisions' rules (RH-01 … RH-12), by plain day-by-day Python, independently of the SQL.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import pytest

from pipelines.dbt import run_dbt
from pipelines.demo.facts import ActivityFacts
from pipelines.ingest import ingest
from tests.conftest import make_association, query
from tests.test_dsn_reader import NIC_A, SIREN, contract, envoi, establishment, person, render, totals

YEAR = 2024
EHPAD, IME = "990000041", "990000042"
SIRET = SIREN + NIC_A
REFERENCE = 151.67
BUDGET, BUDGET_CARE, PLACES = 6.0, 2.5, 40
DAY = dt.timedelta(days=1)


def d(day: dt.date) -> str:
    return day.strftime("%d%m%Y")


@dataclass
class Job:
    nir: str
    birth: dt.date
    start: dt.date
    label: str
    pcs: str
    function: str  # expected top-level function (RH-14), written by hand
    quotite: float = REFERENCE
    nature: str = "01"
    recourse: str | None = None
    end: dt.date | None = None
    end_reason: str | None = None
    sex: str = "02"
    # (reason, last day worked, {declared month: (expected end, resumption or None)})
    stoppages: list[tuple[str, dt.date, dict[int, tuple[dt.date, dt.date | None]]]] = field(default_factory=list)
    suspensions: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)  # (reason, first, last)

    def active(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


STAFF = [
    Job("2700475056001", dt.date(1970, 4, 17), dt.date(2010, 2, 1), "AIDE SOIGNANTE", "526a", "PARAMED", quotite=121.34,
        stoppages=[("01", dt.date(2024, 3, 10), {3: (dt.date(2024, 3, 20), dt.date(2024, 3, 21))})],
        suspensions=[("501", dt.date(2024, 3, 15), dt.date(2024, 3, 25))]),
    Job("1850175056002", dt.date(1985, 1, 1), dt.date(2015, 3, 1), "INFIRMIER", "431f", "PARAMED", sex="01",
        stoppages=[("01", dt.date(2024, 10, 31), {11: (dt.date(2024, 11, 30), None), 12: (dt.date(2025, 3, 31), None)})]),
    Job("1650675056003", dt.date(1965, 6, 30), dt.date(2018, 9, 1), "DIRECTEUR", "434a", "DIR", sex="01",
        stoppages=[("01", dt.date(2024, 5, 6), {5: (dt.date(2024, 5, 8), dt.date(2024, 5, 9))})]),
    Job("2800175056004", dt.date(1980, 1, 15), dt.date(2020, 1, 6), "AGENT DE SERVICE", "525d", "ASH", quotite=75.84,
        end=dt.date(2024, 6, 15), end_reason="059",
        suspensions=[("632", dt.date(2024, 2, 1), dt.date(2024, 2, 29)), ("301", dt.date(2024, 4, 2), dt.date(2024, 4, 5))]),
    Job("2900175056005", dt.date(1990, 7, 1), dt.date(2024, 3, 11), "AIDE SOIGNANTE", "526a", "PARAMED", nature="02",
        recourse="01", end=dt.date(2024, 3, 20), end_reason="031"),
    Job("2001275056006", dt.date(2000, 12, 31), dt.date(2024, 9, 1), "ÉDUCATEUR SPÉCIALISÉ", "434d", "SOCEDU",
        stoppages=[("04", dt.date(2024, 9, 9), {9: (dt.date(2024, 9, 20), dt.date(2024, 9, 16))}),
                   ("01", dt.date(2024, 10, 14), {10: (dt.date(2024, 10, 20), None)}),
                   ("99", dt.date(2024, 10, 14), {11: (dt.date(2024, 10, 20), None)})]),
    Job("2950175056007", dt.date(1995, 2, 2), dt.date(2024, 5, 1), "AGENT D'ACCUEIL DE NUIT", "999z", "ADM",
        nature="02", recourse="02", end=dt.date(2024, 5, 31), end_reason="031"),
    Job("1750175056008", dt.date(1975, 3, 3), dt.date(2019, 4, 1), "CUISINIER", "636d", "REST", sex="01",
        end=dt.date(2024, 8, 31), end_reason="998"),
    Job("2780175056009", dt.date(1978, 11, 11), dt.date(2021, 5, 1), "VEILLEUR DE NUIT", "564b", "AUTRE", quotite=75.83),
    Job("2990175056010", dt.date(1999, 9, 9), dt.date(2023, 12, 1), "AIDE SOIGNANTE", "526a", "PARAMED", nature="02",
        recourse="01", end=dt.date(2024, 1, 31), end_reason="031"),
]
SIX_MOTIVES = ["ABS_MO", "ABS_MMD", "ABS_MLD", "ABS_MAT", "ABS_ATMP", "ABS_CS"]
MONTHS = [(2023, 12)] + [(YEAR, m) for m in range(1, 13)]


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


# --- Writing the DSN ------------------------------------------------------------------------------------

def month_file(year: int, month: int, kind: str = "01", built_day: int = 5, omit: tuple[int, ...] = ()) -> bytes:
    first, last = month_bounds(year, month)
    built = (last + DAY).replace(day=built_day)
    lines = envoi(kind=kind, month=d(first), built=d(built)) + establishment()
    for i, job in enumerate(STAFF):
        if not job.active(first, last) or i in omit:
            continue
        lines += person(job.nir, "NOMSECRET", "PRENOM", job.sex, d(job.birth))
        lines += contract(f"{i + 1:05d}", d(job.start), job.nature, f"{job.quotite:.2f}", job.label, job.recourse, job.pcs)
        for reason, last_worked, declared in job.stoppages:
            if year == YEAR and month in declared:
                expected_end, resumed = declared[month]
                lines += [("S21.G00.60.001", reason), ("S21.G00.60.002", d(last_worked)),
                          ("S21.G00.60.003", d(expected_end))] + ([("S21.G00.60.010", d(resumed))] if resumed else [])
        if job.end and first <= job.end <= last:
            lines += [("S21.G00.62.001", d(job.end)), ("S21.G00.62.002", job.end_reason)]
        for reason, start, end in job.suspensions:
            if start <= last and end >= first:
                lines += [("S21.G00.65.001", reason), ("S21.G00.65.002", d(start)), ("S21.G00.65.003", d(end))]
        lines += [("S21.G00.71.002", "RUAA")]
    return render(lines + totals(len(lines)))


def write_dsn(folder):
    folder.mkdir(parents=True)
    for year, month in MONTHS:
        if (year, month) == (YEAR, 6):
            # RH-12: the replacement (type 03, built later) is loaded first, the original lacks the director
            (folder / "DSN_2024_06_a.dsn").write_bytes(month_file(year, month, kind="03", built_day=12))
            (folder / "DSN_2024_06_b.dsn").write_bytes(month_file(year, month, omit=(2,)))
        else:
            (folder / f"DSN_{year}_{month:02d}.dsn").write_bytes(month_file(year, month))


# --- Expected values, from the facts -------------------------------------------------------------------

def etp_ratio(job: Job) -> float:
    return min(job.quotite / REFERENCE, 1.0)


def month_etp(year: int, month: int) -> float:
    first, last = month_bounds(year, month)
    total = 0.0
    for job in STAFF:
        if job.active(first, last):
            days = (min(job.end or last, last) - max(job.start, first)).days + 1
            total += etp_ratio(job) * days / last.day
    return total


def average_etp(months: list[int]) -> float:
    return sum(month_etp(YEAR, m) for m in months) / len(months)


def episode_days(short_max: int = 7, medium_max: int = 90) -> dict[str, dict[dt.date, str]]:
    """Per person, each day of absence with its motive: stoppages first, then suspensions (RH-02, RH-04)."""
    stoppage_motives = {"01": "MALADIE", "04": "ABS_ATMP"}
    suspension_motives = {"501": "ABS_CS", "632": "ABS_CS"}  # 301 (formation) is excluded
    days: dict[str, dict[dt.date, str]] = {}
    for job in STAFF:
        person_days = days.setdefault(job.nir, {})
        cancelled = {last_worked for reason, last_worked, _ in job.stoppages if reason == "99"}
        for reason, last_worked, declared in job.stoppages:
            if reason == "99" or last_worked in cancelled:
                continue
            latest = declared[max(declared)]
            resumptions = [resumed for _, resumed in declared.values() if resumed]
            first = last_worked + DAY
            last = resumptions[0] - DAY if resumptions else latest[0]
            motive = stoppage_motives[reason]
            if motive == "MALADIE":
                length = (last - first).days + 1
                motive = "ABS_MO" if length <= short_max else "ABS_MMD" if length <= medium_max else "ABS_MLD"
            day = first
            while day <= last:
                person_days[day] = motive
                day += DAY
        for reason, start, end in job.suspensions:
            if reason not in suspension_motives:
                continue
            day = start
            while day <= end:
                person_days.setdefault(day, suspension_motives[reason])
                day += DAY
    return days


def absence_days(months: list[int], **thresholds) -> dict[str, int]:
    counted = {motive: 0 for motive in SIX_MOTIVES}
    for person_days in episode_days(**thresholds).values():
        for day, motive in person_days.items():
            if day.year == YEAR and day.month in months:
                counted[motive] += 1
    return counted


def staff_at(day: dt.date) -> list[Job]:
    return [job for job in STAFF if job.active(day, day)]


def completed_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


TDB_AGE_CLASSES = [  # RH-10, written out independently of the seed
    ("% de personnes âgées de moins de 20 ans", 0, 19), ("% de personnes âgées de 20 - 29 ans", 20, 29),
    ("% de personnes âgées de 30 - 39 ans", 30, 39), ("% de personnes âgées de 40 - 49 ans", 40, 49),
    ("% de personnes âgées de 50 - 54 ans", 50, 54), ("% de personnes âgées de 55 - 59 ans", 55, 59),
    ("% de personnes âgées de 60 - 64 ans", 60, 64), ("% de personnes âgées de Plus de 65 ans", 65, 200),
]


# --- The pipeline --------------------------------------------------------------------------------------

SHEET = [
    {"finess": EHPAD, "year": YEAR, "category_code": "500", "mode": "HP", "places_autorisees": 42,
     "places_installees": PLACES, "jours_ouverture": 366, "etp_budgetes": BUDGET, "etp_budgetes_soins": BUDGET_CARE},
    {"finess": IME, "year": YEAR, "category_code": "183", "mode": "INT", "places_autorisees": 30, "jours_ouverture": 210},
]


def build(root, settings=None):
    write_dsn(root / "sources" / "dsn")
    cfg = make_association(root, "pivot", ActivityFacts(), SHEET, assoc_id="asso_rh", dsn_path=root / "sources" / "dsn",
                           dsn_establishments={SIRET: EHPAD}, settings=settings)
    report = ingest(cfg)
    assert report.rejected_files == [] and report.rejected_lines == 0
    run_dbt(cfg, ["build", "--select", "+path:models/marts/indicators/hr", "dq_hr_jobs_to_classify",
                  "dq_hr_unknown_codes", "--indirect-selection", "cautious"])
    return cfg


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hr"))


def value(cfg, model: str, finess=EHPAD, period_type="year", month=None, breakdown=None) -> tuple:
    rows = query(cfg, f"select numerator, denominator, value, status from {model} where finess = ? and period_type = ? "
                      "and month is not distinct from ? and breakdown is not distinct from ?",
                 [finess, period_type, month, breakdown])
    assert len(rows) == 1, (model, finess, period_type, month, breakdown, rows)
    return rows[0]


def assert_ok(got: tuple, numerator: float, denominator: float | None, expected_value: float) -> None:
    n, den, v, status = got
    assert status == "ok"
    assert n == pytest.approx(numerator)
    assert den == pytest.approx(denominator) if denominator is not None else den is None
    assert v == pytest.approx(expected_value)


def test_absenteeism_of_the_year_and_of_a_month(built):
    year_days = absence_days(list(range(1, 13)))
    denominator = average_etp(list(range(1, 13))) * 365
    assert_ok(value(built, "ind_a2_04_absenteisme"), sum(year_days.values()), denominator,
              sum(year_days.values()) / denominator)
    march = absence_days([3])
    march_denominator = month_etp(YEAR, 3) * 31
    assert_ok(value(built, "ind_a2_04_absenteisme", period_type="month", month=3), sum(march.values()),
              march_denominator, sum(march.values()) / march_denominator)
    # by hand: 10 days of sickness (8–90 days), then 5 days of sans solde after the resumption
    assert (march["ABS_MMD"], march["ABS_CS"]) == (10, 5)


@pytest.mark.parametrize("motive", SIX_MOTIVES)
def test_absenteeism_by_motive(built, motive):
    days = absence_days(list(range(1, 13)))
    denominator = average_etp(list(range(1, 13))) * 365
    assert_ok(value(built, "ind_a2_05_absenteisme_motif", breakdown=motive), days[motive], denominator,
              days[motive] / denominator)


def test_long_sickness_is_classed_on_the_whole_episode(built):
    # 1 Nov 2024 → 31 Mar 2025 (the December file's end date): longue durée, 61 days in 2024
    days = absence_days(list(range(1, 13)))
    assert days["ABS_MLD"] == 61 and days["ABS_MO"] == 2 and days["ABS_ATMP"] == 6 and days["ABS_MAT"] == 0


def test_rotation_of_permanent_staff(built):
    held = {job.nir for job in STAFF if job.nature == "01" and job.active(dt.date(2023, 12, 31), dt.date(2023, 12, 31))}
    arrivals = sum(job.nature == "01" and job.start.year == YEAR for job in STAFF)
    departures = sum(job.nature == "01" and job.end is not None and job.end.year == YEAR
                     and job.end_reason not in ("099", "998") for job in STAFF)
    assert (len(held), arrivals, departures) == (6, 1, 1)
    assert_ok(value(built, "ind_a2_06_rotation_personnel"), (arrivals + departures) / 2, len(held),
              (arrivals + departures) / 2 / len(held))


def test_replacement_cdd_signed_in_the_year(built):
    signed = sum(job.nature in ("02", "10") and job.recourse in ("01", "12", "13") and job.start.year == YEAR
                 for job in STAFF)
    assert_ok(value(built, "ind_a2_10_cdd_remplacement"), signed, None, signed)


def year_end_etp(function: str | None = None, day: dt.date = dt.date(YEAR, 12, 31)) -> float:
    return sum(etp_ratio(job) for job in staff_at(day) if function in (None, job.function))


@pytest.mark.parametrize("function", ["DIR", "PARAMED", "SOCEDU", "AUTRE", "ADM", "MED", None])
def test_etp_by_function_at_year_end(built, function):
    etp = year_end_etp(function)
    assert_ok(value(built, "ind_a2_07_etp_fonction", breakdown=function), etp, year_end_etp(), etp)


def test_the_replacement_declaration_of_june_wins(built):
    # RH-12: the June replacement (type 03, built later, loaded first) declares the director
    assert_ok(value(built, "ind_a2_07_etp_fonction", period_type="month", month=6, breakdown="DIR"), 1.0,
              year_end_etp(day=dt.date(YEAR, 6, 30)), 1.0)


def test_management_vacancy_and_staffing_ratios(built):
    total, care = year_end_etp(), year_end_etp("PARAMED") + year_end_etp("MED")
    assert_ok(value(built, "ind_a2_03_fonction_encadrement"), 1.0, total, 1.0 / total)
    assert_ok(value(built, "ind_a2_01_etp_vacants"), BUDGET - total, BUDGET, (BUDGET - total) / BUDGET)
    assert_ok(value(built, "ind_a2_01_etp_vacants", breakdown="soins"), BUDGET_CARE - care, BUDGET_CARE,
              (BUDGET_CARE - care) / BUDGET_CARE)
    assert value(built, "ind_a2_01_etp_vacants", breakdown="socio_educatif")[3] == "missing_input"
    assert_ok(value(built, "ind_a2_09_taux_encadrement"), total, PLACES, total / PLACES * 100)


def test_age_pyramid_at_year_end(built):
    day = dt.date(YEAR, 12, 31)
    persons = staff_at(day)
    for label, low, high in TDB_AGE_CLASSES:
        count = sum(low <= completed_years(job.birth, day) <= high for job in persons)
        assert_ok(value(built, "ind_a2_08_pyramide_ages", breakdown=label), count, len(persons), count / len(persons))


def test_an_esms_without_dsn_has_missing_inputs(built):
    for model in ("ind_a2_01_etp_vacants", "ind_a2_03_fonction_encadrement", "ind_a2_04_absenteisme",
                  "ind_a2_06_rotation_personnel", "ind_a2_09_taux_encadrement", "ind_a2_10_cdd_remplacement"):
        assert value(built, model, finess=IME)[3] == "missing_input", model


def test_unclassified_jobs_are_listed(built):
    rows = query(built, "select pcs_ese, job_label, contracts from dq_hr_jobs_to_classify")
    assert rows == [("564b", "VEILLEUR DE NUIT", 1)]
    assert query(built, "select count(*) from dq_hr_unknown_codes") == [(0,)]


def test_the_settings_give_the_alternatives(tmp_path):
    settings = {"etp_year_end_method": "december_average", "management_basis": "headcount",
                "staff_rotation_contracts": "all", "replacement_cdd_basis": "active", "absenteeism_year_days": "calendar",
                "vacancy_etp_basis": "annual_average", "sickness_short_max_days": 10}
    cfg = build(tmp_path, settings)
    year = list(range(1, 13))
    days = absence_days(year, short_max=10)
    assert days["ABS_MO"] == 12  # the 10-day sickness is now short
    denominator = average_etp(year) * 366
    assert_ok(value(cfg, "ind_a2_04_absenteisme"), sum(days.values()), denominator, sum(days.values()) / denominator)

    persons = staff_at(dt.date(YEAR, 12, 31))
    assert_ok(value(cfg, "ind_a2_03_fonction_encadrement"), 1, len(persons), 1 / len(persons))
    active = sum(job.nature in ("02", "10") and job.recourse in ("01", "12", "13")
                 and job.active(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)) for job in STAFF)
    assert active == 2
    assert_ok(value(cfg, "ind_a2_10_cdd_remplacement"), active, None, active)
    held = {job.nir for job in STAFF if job.active(dt.date(2023, 12, 31), dt.date(2023, 12, 31))}
    moves = sum(job.start.year == YEAR for job in STAFF) + sum(
        job.end is not None and job.end.year == YEAR and job.end_reason not in ("099", "998") for job in STAFF)
    assert_ok(value(cfg, "ind_a2_06_rotation_personnel"), moves / 2, len(held), moves / 2 / len(held))
    assert_ok(value(cfg, "ind_a2_01_etp_vacants"), BUDGET - average_etp(year), BUDGET,
              (BUDGET - average_etp(year)) / BUDGET)
