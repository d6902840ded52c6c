"""Timing helpers shared by the benchmarks: a reader over its files, DuckDB's native reads of the same bytes."""

from __future__ import annotations

import secrets
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.pseudonymise import Pseudonymiser  # noqa: E402
from pipelines.readers.base import RawRows, ReadContext, read_files  # noqa: E402
from pipelines.warehouse import file_groups  # noqa: E402


def time_reader(module, files: list[Path], after_group: Callable[[int], None] | None = None) -> tuple[int, int, float]:
    """Rows produced (all raw tables), rejected lines and seconds of a reader module over its files, read as
    load_files reads them: in groups of up to GROUP_BYTES of source (`read_files`: one pass per group for a
    reader with `read_many`). A refused file counts as one rejected line. `after_group(files done)` is called
    after each group (a memory probe, say)."""
    context = ReadContext(pseudonymiser=Pseudonymiser(secrets.token_hex(32).encode()))
    rows = rejects = done = 0
    started = time.perf_counter()
    for group in file_groups(files):
        for item in read_files(module, group, context):
            if isinstance(item, RawRows):
                rows += item.batch.num_rows
            else:
                rejects += 1
        done += len(group)
        if after_group:
            after_group(done)
    return rows, rejects, time.perf_counter() - started


def time_duckdb_csv(files: list[Path], delimiter: str, encoding: str) -> float:
    """DuckDB's read_csv of each file (header, every column VARCHAR), seconds."""
    con = duckdb.connect()
    started = time.perf_counter()
    for path in files:
        con.execute(
            f"select count(*) from read_csv('{path}', delim='{delimiter}', header=true, all_varchar=true, "
            f"encoding='{encoding}')"
        ).fetchall()
    return time.perf_counter() - started


def layout(path: Path) -> tuple[str, str]:
    """(encoding, line end) of a text file: UTF-8 or ISO-8859-1, CRLF or LF."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    return encoding, "\\r\\n" if b"\r\n" in data[:4096] else "\\n"


def time_duckdb_lines(files: list[Path]) -> tuple[int, int, float]:
    """DuckDB's read_csv over the same bytes, one VARCHAR per line (formats it cannot split natively, e.g.
    DSN); the files are grouped by encoding and line end beforehand (out of the timing), as DuckDB reads
    a list of files with one setting. Files DuckDB refuses to decode (cp1252 bytes outside latin-1) are
    left out. Returns (lines, bytes read, seconds)."""
    groups: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in files:
        groups[layout(path)].append(path)
    con = duckdb.connect()
    lines = size = 0
    seconds = 0.0
    for (encoding, new_line), paths in groups.items():
        listed = ", ".join(f"'{path}'" for path in paths)
        started = time.perf_counter()
        try:
            lines += con.execute(
                f"select count(*) from read_csv([{listed}], columns = {{'line': 'VARCHAR'}}, delim = '\\0', "
                "header = false, quote = '', escape = '', comment = '', auto_detect = false, "
                f"new_line = '{new_line}', encoding = '{encoding}')"
            ).fetchone()[0]
        except duckdb.InvalidInputException:
            continue
        seconds += time.perf_counter() - started
        size += size_of(paths)
    return lines, size, seconds


def time_duckdb_delimited(files: list[Path]) -> tuple[int, int, float]:
    """DuckDB's read_csv of each file split into its columns, for delimited formats such as FEC: its
    nearest native read (one VARCHAR per line, as time_duckdb_lines does, skips the split into fields,
    and reading every file in one query skips the per-file cost that a reader of files one by one pays,
    as time_duckdb_csv's per-file reads do too). Delimiter (tab or ``|``, the commoner in the header
    line), encoding and line end are found beforehand (out of the timing); every column VARCHAR, no
    quoting (FEC has none), short or long lines padded rather than refused. Files DuckDB refuses to
    decode (cp1252 bytes outside latin-1) are left out. Returns (rows, bytes read, seconds)."""
    layouts = {}
    for path in files:
        with open(path, "rb") as handle:
            header = handle.readline()
        layouts[path] = ("\\t" if header.count(b"\t") >= header.count(b"|") else "|", *layout(path))
    con = duckdb.connect()
    rows = size = 0
    seconds = 0.0
    for path, (delimiter, encoding, new_line) in layouts.items():
        started = time.perf_counter()
        try:
            rows += con.execute(
                f"select count(*) from read_csv('{path}', delim = '{delimiter}', quote = '', escape = '', "
                f"header = true, all_varchar = true, new_line = '{new_line}', encoding = '{encoding}', "
                "strict_mode = false, null_padding = true)"
            ).fetchone()[0]
        except duckdb.InvalidInputException:
            continue
        seconds += time.perf_counter() - started
        size += path.stat().st_size
    return rows, size, seconds


def size_of(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files)
