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


def set_model(code: str, model: str, path: Path = CATALOGUE_PATH) -> None:
    """Record the dbt model of an indicator in the catalogue (atomic, safe against concurrent edits)."""
    import fcntl
    import os
    import tempfile

    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        fields = list(rows[0])
        matched = [row for row in rows if row["code"] == code]
        if not matched:
            raise KeyError(f"no catalogue row {code}")
        matched[0]["model"] = model
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    load_catalogue.cache_clear()


if __name__ == "__main__":  # python -m pipelines.catalogue set-model A2-04 ind_a2_04_absenteisme
    import sys

    if len(sys.argv) != 4 or sys.argv[1] != "set-model":
        sys.exit("usage: python -m pipelines.catalogue set-model <code> <model>")
    set_model(sys.argv[2], sys.argv[3])
