"""The oracle: benchmarks/reference.sql, a plain DuckDB script written from the specifications and not from
the dbt models, recomputes the indicators from the raw tables of each demo warehouse; every value both
produce must be equal (issue 10).

The script runs on a copy of the warehouse (the session's demo runs are never modified); one demo
association is also exported to pivot files and run, so that the four activity families are compared. For every
(indicator, FINESS, period, breakdown) that both produce, the statuses must be equal (the quality step's
`failed_checks` compares as `ok`: the script does not run the checks) and, for `ok` rows, the numerator,
denominator and value to 1e-9 (relative to the magnitude above 1: FEC amounts of millions are summed in a
different order by the two sides). The indicators the script covers are listed below: the list may only
grow; the catalogue's other indicators are printed as not covered. For a covered indicator, both sides must
produce the same rows (no value computed by one side only).
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Indicators the reference script computes, for every activity family (the list may only grow).
COVERED = {
    "A1-01", "A1-02", "A1-03", "A1-04", "A1-05", "A1-06", "A1-07", "A1-08", "A1-09", "A1-10", "A1-11", "A1-12",
    "A1-13", "A1-14", "A1-15", "A1-16", "A1-17", "A1-18", "A1-19", "A1-20", "A1-21",
    "A2-01", "A2-02", "A2-03", "A2-04", "A2-05", "A2-06", "A2-07", "A2-08", "A2-09", "A2-10",
    "A3-01", "A3-02", "A3-03", "A3-04", "A3-05", "A3-06", "A3-07", "A3-08", "A3-09", "A3-10", "A3-11",
}

# Covered indicators the demo never gives an `ok` value (its ESMS sheets declare no aide sociale
# beneficiaries): compared on their status only.
STATUS_ONLY = {"A1-09"}

TOLERANCE = 1e-9


def _reference_module():
    spec = importlib.util.spec_from_file_location("reference", ROOT / "benchmarks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalogue_codes() -> set[str]:
    with (ROOT / "seeds" / "indicator_catalogue.csv").open(encoding="utf-8") as f:
        return {row["code"] for row in csv.DictReader(f)}


COMPARISON = f"""
with r as (select * from reference_indicator_values),
f as (select *, case status when 'failed_checks' then 'ok' else status end as base_status
      from fct_indicator_values),
pairs as (
    select f.indicator_code, f.finess, f.period_type, f.year, f.month, f.breakdown,
           r.status as r_status, f.base_status as f_status,
           r.numerator as r_num, f.numerator as f_num, r.denominator as r_den, f.denominator as f_den,
           r.value as r_value, f.value as f_value
    from f join r
      on r.indicator_code = f.indicator_code and r.finess = f.finess and r.period_type = f.period_type
     and r.year = f.year and r.month is not distinct from f.month
     and r.breakdown is not distinct from f.breakdown
)
select *,
       r_status <> f_status
       or (f_status = 'ok' and (
            not (r_num is not distinct from f_num
                 or abs(r_num - f_num) <= {TOLERANCE} * greatest(1, abs(r_num), abs(f_num)))
         or not (r_den is not distinct from f_den
                 or abs(r_den - f_den) <= {TOLERANCE} * greatest(1, abs(r_den), abs(f_den)))
         or not (r_value is not distinct from f_value
                 or abs(r_value - f_value) <= {TOLERANCE} * greatest(1, abs(r_value), abs(f_value)))))
       as differs
from pairs
"""


# rows of a covered indicator that only one side produces (every row must be produced by both)
ONE_SIDED = f"""
select coalesce(r.indicator_code, f.indicator_code) as code, r.finess is null as missing_in_reference,
       count(*) as n, any_value(coalesce(r.finess, f.finess) || ' ' || coalesce(r.period_type, f.period_type) || ' '
                                || coalesce(r.year, f.year) || '/' || coalesce(r.month, f.month, 0) || ' '
                                || coalesce(r.breakdown, f.breakdown, '-')) as example
from reference_indicator_values r
full join fct_indicator_values f
  on r.indicator_code = f.indicator_code and r.finess = f.finess and r.period_type = f.period_type
 and r.year = f.year and r.month is not distinct from f.month and r.breakdown is not distinct from f.breakdown
where (r.finess is null or f.finess is null)
  and coalesce(r.indicator_code, f.indicator_code) in ({", ".join(f"'{c}'" for c in sorted(COVERED))})
group by all
"""


# The demo association whose activity is also exported to pivot files and run, so that the fourth family
# is compared too (export_csv: it has absences, attended days and acts).
PIVOT_OF = "demo_enfance"


@pytest.fixture(scope="module")
def reference_runs(demo, demo_pivot, tmp_path_factory) -> dict:
    """The reference script run once on a copy of each demo warehouse (and of the pivot copy of one of
    them): {association: (copy, seconds)}."""
    reference = _reference_module()
    root = tmp_path_factory.mktemp("reference")
    pivot, _ = demo_pivot(PIVOT_OF)
    configs = {**demo["configs"], pivot.id: pivot}
    return {
        association: (root / f"{association}.duckdb",
                      reference.run_reference(cfg.warehouse_path, root / f"{association}.duckdb"))
        for association, cfg in configs.items()
    }


def test_reference_script_equals_the_product_on_every_demo_association(reference_runs):
    compared_everywhere: set[str] = set()
    failures = []
    for association, (copy, seconds) in reference_runs.items():
        con = duckdb.connect(str(copy), read_only=True)
        try:
            result = con.sql(COMPARISON)
            columns = [c[0] for c in result.description]
            rows = result.fetchall()
            produced = {code for (code,) in con.sql(
                "select distinct indicator_code from reference_indicator_values").fetchall()}
            (family,) = con.sql("select any_value(activity_family) from cfg_association").fetchone()
            one_sided = con.sql(ONE_SIDED).fetchall()
        finally:
            con.close()
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        compared = {r["indicator_code"] for r in records}
        compared_ok = {r["indicator_code"] for r in records if r["f_status"] == "ok"}
        compared_everywhere |= compared_ok
        print(f"{association} ({family}): reference.sql {seconds:.2f} s, {len(records)} values compared, "
              f"{len(compared_ok)} indicators with ok values")
        assert produced >= COVERED, f"{association}: the script no longer produces {sorted(COVERED - produced)}"
        assert compared >= COVERED, f"{association}: nothing to compare for {sorted(COVERED - compared)}"
        failures += [(association, r) for r in records if r["differs"]]
        failures += [(association, {"only in": "fct_indicator_values" if missing else "reference",
                                    "indicator_code": code, "rows": n, "example": example})
                     for code, missing, n, example in one_sided]
    uncovered = sorted(_catalogue_codes() - COVERED)
    print(f"covered ({len(COVERED)}): {' '.join(sorted(COVERED))}")
    print(f"not covered by reference.sql ({len(uncovered)}): {' '.join(uncovered)}")
    with_values = COVERED - STATUS_ONLY
    assert compared_everywhere >= with_values, f"never an ok value to compare: {sorted(with_values - compared_everywhere)}"
    assert not failures, "reference.sql and fct_indicator_values differ:\n" + "\n".join(
        f"{a} {r}" for a, r in failures[:20])
