"""The indicator catalogue (seeds/indicator_catalogue.csv): one row per TDB MS indicator."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from pipelines import PROJECT_ROOT

CATALOGUE_PATH = PROJECT_ROOT / "seeds" / "indicator_catalogue.csv"


@cache
def load_catalogue(path: Path = CATALOGUE_PATH) -> tuple[dict, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def indicator_models(path: Path = CATALOGUE_PATH) -> list[str]:
    """The dbt models of the computed indicators, in catalogue order."""
    return [row["model"] for row in load_catalogue(path) if row.get("model")]


def by_code(path: Path = CATALOGUE_PATH) -> dict[str, dict]:
    return {row["code"]: row for row in load_catalogue(path)}
