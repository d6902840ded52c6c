"""Writers of activity facts, one per family, in that family's exact format (demo and test fixtures)."""

from __future__ import annotations

import csv
import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from pipelines import PROJECT_ROOT
from pipelines.demo.facts import ActivityFacts

Writer = Callable[[ActivityFacts, Path], list[Path]]


def writer(family: str) -> Writer:
    return importlib.import_module(f"pipelines.demo.writers.{family}").write


def seed_rows(relative: str) -> list[dict[str, str]]:
    """Rows of a seed (e.g. ``mappings/base_sqlite__codes.csv``, ``nomenclatures/modes.csv``)."""
    with open(PROJECT_ROOT / "seeds" / relative, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def vendor_codes(family: str) -> dict[tuple[str, str], str]:
    """(domain, common code) → the vendor's code: the first one listed in the family's mapping seed."""
    codes: dict[tuple[str, str], str] = {}
    for row in seed_rows(f"mappings/{family}__codes.csv"):
        codes.setdefault((row["domain"], row["common_code"]), row["vendor_code"])
    return codes


def integer_ids(ids: Iterable[str]) -> dict[str, int]:
    """Vendor ids as the integers some software uses: the digits of each id when they tell the ids apart
    (``D000123`` → 123), else their rank."""
    ids = list(dict.fromkeys(ids))
    digits = ["".join(ch for ch in i if ch.isdigit()) for i in ids]
    if all(digits) and len({int(d) for d in digits}) == len(ids):
        return {i: int(d) for i, d in zip(ids, digits, strict=True)}
    return {i: rank for rank, i in enumerate(ids, start=1)}


def hospital_motives() -> set[str]:
    """Absence motives that are hospitalisations (AC-15, AC-24), from the common nomenclature."""
    return {r["code"] for r in seed_rows("nomenclatures/absence_motives.csv") if r["is_hospitalisation"] == "true"}

