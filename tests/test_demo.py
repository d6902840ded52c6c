"""End to end on the three demo associations: generated sources, real runs, pivot round trip,
privacy and no pooling. The demo is generated once into a temporary folder for the whole session."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines.demo.generate import (
    DEMO_ASSOCIATIONS,
    association_seed,
    demo_facts,
)
from tests.conftest import DEMO_SEED

# sums of doubles may differ in their last bits with the order DuckDB adds them in: compared rounded
COMPARED_STATUS_AS_OK = (
    "finess, period_type, year, month, indicator_code, breakdown, round(numerator, 6), round(denominator, 6), "
    "round(value, 6), replace(status, 'failed_checks', 'ok') as status"
)


def values(cfg, where: str = "true") -> set[tuple]:
    """The indicator values; failed_checks read as ok: the quality checks of two families differ (their raw
    tables do), the computed values must not."""
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return set(con.execute(f"select {COMPARED_STATUS_AS_OK} from fct_indicator_values where {where}").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("association", [a.id for a in DEMO_ASSOCIATIONS])
def test_pivot_round_trip_gives_the_same_indicators(demo, demo_pivot, association):
    cfg = demo["configs"][association]
    copy, report = demo_pivot(association)
    assert report.rejected_lines == 0 and not report.rejected_files
    # what the original family cannot carry (AC-21) is not_available there and computed from pivot's empty
    # input in the copy: those rows are compared on their status only being different for that reason
    not_available = {r[:6] for r in values(cfg, "status = 'not_available'")}
    original = {r for r in values(cfg) if r[:6] not in not_available}
    copied = {r for r in values(copy) if r[:6] not in not_available}
    assert original, "no indicator value to compare"
    assert original == copied


def personal_values(association, cfg) -> set[str]:
    """Names, first names, NIR and vendor numbers written in the demo sources of an association."""
    facts = demo_facts(association, 1, association_seed(association, DEMO_SEED))
    values = {p.last_name for p in facts.persons} | {p.first_name for p in facts.persons}
    values |= {p.nir for p in facts.persons if p.nir} | {p.person_id for p in facts.persons}
    if cfg.dsn_path:
        from pipelines.demo.dsn import personal_values as dsn_values

        values |= dsn_values(sorted(cfg.dsn_path.rglob("*.dsn")))
    return values


def words(text: str) -> set[str]:
    """Whole words of a text (a name found inside a longer word, e.g. Blanc in Blanchissage, is not one)."""
    return set(re.findall(r"[\w'-]+", text))


def test_no_name_or_nir_of_the_demo_sources_in_any_warehouse(demo):
    for association in DEMO_ASSOCIATIONS:
        cfg = demo["configs"][association.id]
        secrets_ = personal_values(association, cfg)
        data = cfg.warehouse_path.read_bytes()
        assert not [n for n in secrets_ if n.isdigit() and len(n) >= 13 and n.encode() in data]  # NIR
        con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
        try:
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_type = 'BASE TABLE'"
            ).fetchall():
                text = " ".join(str(v) for row in con.execute(f'select * from "{table}"').fetchall() for v in row)
                found = sorted(words(text) & secrets_)
                assert not found, f"{association.id}.{table}: {found[:5]}"
        finally:
            con.close()


def test_no_finess_of_one_demo_association_in_another(demo):
    finess = {a.id: {e.finess for e in a.esms} for a in DEMO_ASSOCIATIONS}
    for association in DEMO_ASSOCIATIONS:
        data = demo["configs"][association.id].warehouse_path.read_bytes()
        others = set().union(*(f for other, f in finess.items() if other != association.id))
        assert not [f for f in others if f.encode() in data]
