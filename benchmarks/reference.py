"""Run the reference script (benchmarks/reference.sql) on a copy of a warehouse and print its time.

    .venv/bin/python benchmarks/reference.py output/<association>/warehouse.duckdb [--keep COPY]

The warehouse is never modified: its file is copied to a temporary directory (or to --keep), the script
runs there on the raw tables the readers loaded and writes `reference_indicator_values`. The time printed
(`reference_s`) is the script alone, the copy excluded: the denominator of the benchmark's
`transform_ratio` (dbt build ÷ reference script on the same raw tables).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).resolve().with_name("reference.sql")


def run_reference(warehouse: Path, copy: Path) -> float:
    """Copy `warehouse` to `copy`, run reference.sql there and return the seconds the script took."""
    shutil.copyfile(warehouse, copy)
    sql = SCRIPT.read_text(encoding="utf-8")
    con = duckdb.connect(str(copy))
    try:
        started = time.perf_counter()
        con.execute(sql)
        return time.perf_counter() - started
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--keep", type=Path, help="where to keep the copy with reference_indicator_values")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = args.keep or Path(tmp) / "reference.duckdb"
        seconds = run_reference(args.warehouse, copy)
        with duckdb.connect(str(copy), read_only=True) as con:
            rows = con.sql("select count(*) from reference_indicator_values").fetchone()[0]
    print(f"reference_s={seconds:.3f} rows={rows}")


if __name__ == "__main__":
    main()
