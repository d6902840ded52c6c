"""Benchmark of the FEC reader (a script that prints ratios, not a test).

    .venv/bin/python benchmarks/fec.py [--lines 1000000]

One EHPAD exercise of about --lines lines is written by pipelines/demo/fec.py (``lines_target``; tab,
UTF-8 with BOM, CRLF: the first physical variant). The reader reads it whole: lines typed and streamed in
Arrow batches, then the norm's checks (balance of every écriture and of the file, dates within the
exercise, accounts, numbering…). Its lines/s are printed next to DuckDB's own read_csv on the same file,
which only reads and sums the debits and credits (the global balance).
"""

from __future__ import annotations

import argparse
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.demo.fec import write_fec_files  # noqa: E402
from pipelines.pseudonymise import Pseudonymiser  # noqa: E402
from pipelines.readers import fec  # noqa: E402
from pipelines.readers.base import RawRows, ReadContext, Reject  # noqa: E402

SIREN = "990000009"
YEAR = 2024


def time_reader(path: Path) -> tuple[dict, int, float]:
    """The file-level row (status, totals), the lines streamed, seconds."""
    context = ReadContext(pseudonymiser=Pseudonymiser(secrets.token_hex(32).encode()))
    lines, file_row = 0, {}
    started = time.perf_counter()
    for item in fec.read(path, context):
        if isinstance(item, Reject):
            continue
        if isinstance(item, RawRows) and item.table == "raw_fec_lines":
            lines += item.batch.num_rows
        elif isinstance(item, RawRows) and item.table == "raw_fec_files":
            file_row = item.batch.to_pylist()[0]
    return file_row, lines, time.perf_counter() - started


def time_duckdb(path: Path) -> tuple[int, float, float]:
    """DuckDB's read_csv of the same file: line count and the sums of Debit and Credit (comma decimals)."""
    con = duckdb.connect()
    started = time.perf_counter()
    count, debit, credit = con.execute(
        f"""select count(*), sum(cast(replace(Debit, ',', '.') as decimal(18, 2))),
                   sum(cast(replace(Credit, ',', '.') as decimal(18, 2)))
            from read_csv('{path}', delim = '\\t', header = true, all_varchar = true, quote = '')"""
    ).fetchone()
    return count, time.perf_counter() - started, debit - credit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lignes visées (défaut 1 000 000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        # Two exercises: the first one of the first dossier is delivered twice, the second is a single file.
        paths = write_fec_files(Path(tmp), SIREN, {"EHPAD": "500"}, [YEAR - 1, YEAR], seed=7,
                                lines_target=2 * args.lines)
        generated = time.perf_counter() - started
        path = next(p for p in paths if f"FEC{YEAR}1231" in p.name)
        size = path.stat().st_size
        file_row, lines, seconds = time_reader(path)
        duck_lines, duck_seconds, duck_gap = time_duckdb(path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"FEC : {path.name}, {lines} lignes, {size / 1e6:.1f} Mo (généré en {generated:.1f} s)")
        print(f"{'lecture':<36}{'s':>8}{'lignes/s':>12}{'Mo/s':>8}{'ratio DuckDB':>14}")
        duck_rate = duck_lines / duck_seconds
        for label, count, secs in (("lecteur FEC (lecture + contrôles)", lines, seconds),
                                   ("DuckDB read_csv (lecture + sommes)", duck_lines, duck_seconds)):
            print(f"{label:<36}{secs:>8.2f}{count / secs:>12.0f}{size / 1e6 / secs:>8.1f}"
                  f"{count / secs / duck_rate:>14.2f}")
        gap = file_row["total_debit"] - file_row["total_credit"]
        print(f"Lecteur : statut « {file_row['status']} », débit − crédit = {gap} (DuckDB : {duck_gap}), "
              f"{file_row['blocking_failures']} contrôle(s) bloquant(s) en échec, {file_row['warnings']} avertissement(s)")
        print(f"Mémoire résidente maximale : {peak:.0f} Mo")


if __name__ == "__main__":
    main()
