"""Benchmark of the activity readers and of the dbt build (a script that prints ratios, not a test).

    .venv/bin/python benchmarks/activity.py [--scale 20]

The same facts (the demo's ESMS at --scale) are written in the four activity families; each reader is
timed over its files and compared with DuckDB's own read_csv on the same bytes (for the families DuckDB
cannot read natively — xlsx, SQLite, cp1252 — the nearest native read: the pivot CSV of the same facts).
Then one association is run end to end and the dbt build is timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import size_of, time_duckdb_csv, time_reader  # noqa: E402
from pipelines.demo.activity import generate_activity  # noqa: E402
from pipelines.demo.generate import DEMO_ASSOCIATIONS, YEARS, sheet_rows  # noqa: E402
from pipelines.demo.writers import writer  # noqa: E402
from pipelines.sources import reader  # noqa: E402

FAMILIES = ("pivot", "export_csv", "classeur_xlsx", "base_sqlite")


def time_family(family: str, folder: Path) -> tuple[int, int, float]:
    module = reader(family)
    files = module.discover(folder)
    rows, _rejects, seconds = time_reader(module, files)
    return rows, size_of(files), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=20)
    args = parser.parse_args()
    esms = [e for a in DEMO_ASSOCIATIONS for e in a.esms]
    facts = generate_activity(esms, dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31), seed=7, scale=args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for family in FAMILIES:
            writer(family)(facts, root / family)
        pivot_files = reader("pivot").discover(root / "pivot")
        pivot_duckdb = time_duckdb_csv(pivot_files, ",", "utf-8")
        pivot_bytes = sum(f.stat().st_size for f in pivot_files)
        print(f"Faits : {len(facts.persons)} personnes, {len(facts.stays)} séjours, "
              f"{len(facts.absences)} absences, {len(facts.attendance)} jours de présence, {len(facts.acts)} actes")
        print(f"{'lecteur':<15}{'lignes':>10}{'Mo':>8}{'s':>8}{'lignes/s':>12}{'Mo/s':>8}{'ratio DuckDB':>14}")
        for family in FAMILIES:
            rows, size, seconds = time_family(family, root / family)
            if family == "export_csv":
                files = reader(family).discover(root / family)
                baseline = size / time_duckdb_csv(files, ";", "latin-1")  # same bytes (cp1252 ≈ latin-1 for timing)
            else:
                baseline = pivot_bytes / pivot_duckdb  # nearest native read: the pivot CSV of the same facts
            ratio = (size / seconds) / baseline
            print(f"{family:<15}{rows:>10}{size / 1e6:>8.1f}{seconds:>8.2f}{rows / seconds:>12.0f}"
                  f"{size / 1e6 / seconds:>8.1f}{ratio:>14.2f}")
        print(f"DuckDB read_csv (pivot) : {pivot_bytes / 1e6 / pivot_duckdb:.1f} Mo/s")
        time_build(root, facts, esms, args.scale)


def time_build(root: Path, facts, esms, scale: int) -> None:
    from pipelines.config import load_config
    from pipelines.demo.association import write_config
    from pipelines.demo.esms_sheet import write_esms_sheet
    from pipelines.ingest import ingest
    from pipelines.run import transform

    association = DEMO_ASSOCIATIONS[0].__class__("bench", "banc d'essai", "pivot", "990000009", tuple(esms))
    sheet = write_esms_sheet(root / "sheet.csv", sheet_rows(association, scale))
    cfg = load_config(write_config(root / "bench.toml", assoc_id="bench", name="banc d'essai", family="pivot",
                                   activity_path=root / "pivot", esms_sheet_path=sheet,
                                   secret_path=root / "bench.key"), output_root=root / "output")
    started = time.perf_counter()
    ingest(cfg)
    loaded = time.perf_counter()
    transform(cfg)
    built = time.perf_counter()
    print(f"Chargement (pivot) : {loaded - started:.1f} s ; dbt build : {built - loaded:.1f} s")


if __name__ == "__main__":
    main()
