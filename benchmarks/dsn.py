"""Benchmark of the DSN reader (a script that prints ratios, not a test).

    .venv/bin/python benchmarks/dsn.py [--employees 2000] [--months 60] [--per-establishment 250]

The DSN of a scaled demo (pipelines/demo/dsn.py: --employees spread over establishments of
--per-establishment people, --months monthly files each) are written in a child process, so that the
peak memory measured here is the reading's own. The reader parses every file, in groups read in one pass
as load_files reads them (rows of every raw table counted), timed in MB/s next to DuckDB's read_csv
reading the same files as raw lines (one VARCHAR column). The peak resident memory (resource.getrusage)
is printed after each quarter of the files: it stays flat when the reader streams (only one group's
modelled rows are held at a time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import time_duckdb_lines, time_reader  # noqa: E402
from pipelines.demo.dsn import write_dsn_files  # noqa: E402
from pipelines.readers import dsn  # noqa: E402

SIREN = "990000009"
CATEGORIES = ("500", "183", "255", "246")  # EHPAD, IME, MAS, ESAT: both job mixes of the generator


def generate(folder: Path, employees: int, months: int, per_establishment: int) -> None:
    count = max(1, round(employees / per_establishment))
    establishments = [(f"{SIREN}{i:05d}", CATEGORIES[i % len(CATEGORIES)]) for i in range(1, count + 1)]
    write_dsn_files(folder, SIREN, establishments, dt.date(2020, 1, 1), months, per_establishment, seed=7)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def read_with_peaks(files: list[Path]) -> tuple[int, int, float, list[tuple[int, float]]]:
    """Rows, rejects, seconds (benchmarks.common.time_reader: groups read as load_files reads them), and the
    peak memory after each quarter of the files."""
    quarters = [max(1, round(len(files) * q / 4)) for q in (1, 2, 3, 4)]
    peaks = []

    def probe(done: int) -> None:
        while quarters and done >= quarters[0]:
            peaks.append((quarters.pop(0), peak_mb()))

    rows, rejects, seconds = time_reader(dsn, files, after_group=probe)
    return rows, rejects, seconds, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=2000, help="salariés au total (défaut 2000)")
    parser.add_argument("--months", type=int, default=60, help="mois déclarés (défaut 60)")
    parser.add_argument("--per-establishment", type=int, default=250, help="salariés par établissement (défaut 250)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dsn"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=generate, args=(folder, args.employees, args.months, args.per_establishment))
        child.start()
        child.join()
        if child.exitcode:
            sys.exit(f"échec de la génération des DSN (code {child.exitcode})")
        generated = time.perf_counter() - started
        files = dsn.discover(folder)
        size = sum(f.stat().st_size for f in files)
        baseline = peak_mb()
        rows, rejects, seconds, peaks = read_with_peaks(files)
        lines, _size, duck_seconds = time_duckdb_lines(files)
        print(f"DSN : {args.employees} salariés × {args.months} mois, {len(files)} fichiers, {size / 1e6:.1f} Mo, "
              f"{lines} lignes (générés en {generated:.1f} s)")
        print(f"{'lecture':<28}{'s':>8}{'Mo/s':>8}{'lignes/s':>12}{'ratio DuckDB':>14}")
        duck_rate = size / 1e6 / duck_seconds
        for label, secs in (("lecteur DSN (tables brutes)", seconds), ("DuckDB read_csv (lignes)", duck_seconds)):
            rate = size / 1e6 / secs
            print(f"{label:<28}{secs:>8.2f}{rate:>8.1f}{lines / secs:>12.0f}{rate / duck_rate:>14.2f}")
        print(f"Lecteur : {rows} lignes produites dans les tables brutes, {rejects} ligne(s) rejetée(s)")
        print(f"Mémoire résidente maximale avant lecture : {baseline:.0f} Mo")
        for done, peak in peaks:
            print(f"  après {done:>5} fichiers sur {len(files)} : {peak:.0f} Mo")


if __name__ == "__main__":
    main()
