"""The association's DuckDB file: raw tables, load log and rejects, written idempotently.

A source file is identified by the SHA-256 of its content. Loading a file already loaded changes
nothing. A file is loaded atomically: either all its good rows and its rejected lines are written with
its load-log row, or (file unreadable) only its rejection is recorded. `load_files` loads small files
several per transaction (a commit costs a disk sync): a crash loses the open group, whose files are
read again at the next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import SourceFileError, TdbmsError
from pipelines.readers.base import FILE_COLUMN, RawRows, ReadContext, Reject, read_files

LINEAGE_FIELDS = [pa.field("_file_hash", pa.string()), pa.field("_source_file", pa.string())]

META_DDL = """
create table if not exists load_log (
    load_id      integer,
    source_kind  varchar,
    file_name    varchar,
    file_path    varchar,
    file_hash    varchar,
    file_bytes   bigint,
    status       varchar,   -- 'charge' | 'rejete'
    rows_loaded  bigint,
    rows_rejected bigint,
    message      varchar,
    loaded_at    timestamp,
    seconds      double
);
create table if not exists rejects (
    load_id     integer,
    source_kind varchar,
    file_name   varchar,
    file_hash   varchar,
    line        integer,
    reason      varchar,
    excerpt     varchar
);
"""


@dataclass
class LoadResult:
    path: Path
    kind: str
    file_hash: str
    status: str  # 'charge' | 'deja_charge' | 'rejete'
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str | None = None


def connect(path: Path, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """The DuckDB file; `config`: DuckDB settings (the association's [duckdb] threads and memory_limit)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config={k: str(v) for k, v in (config or {}).items()})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise TdbmsError(
                f"{path} : l'entrepôt est utilisé par un autre traitement en cours. "
                "Attendez la fin de ce traitement puis relancez."
            ) from None
        raise TdbmsError(f"{path} : impossible d'ouvrir l'entrepôt ({exc}).") from None
    if not read_only:
        con.execute(META_DDL)
    return con


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _with_lineage(schema: pa.Schema) -> pa.Schema:
    return pa.schema(list(schema) + LINEAGE_FIELDS)


def ensure_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Schema]) -> None:
    existing = {row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()}
    for name, schema in tables.items():
        if name in existing:
            continue
        empty = _with_lineage(schema).empty_table()  # noqa: F841 (read by DuckDB's replacement scan)
        con.execute(f'create table if not exists "{name}" as select * from empty limit 0')


def already_loaded(con: duckdb.DuckDBPyConnection, kind: str, path: Path, file_hash: str) -> LoadResult | None:
    """`deja_charge` when the same content was loaded, under this path or another one (DQ-03: a copy, said so)."""
    (original,) = con.execute(
        "select min(file_path) from load_log where source_kind = ? and file_hash = ? and status = 'charge'",
        [kind, file_hash],
    ).fetchone()
    return _skipped(kind, path, file_hash, original)


def _skipped(kind: str, path: Path, file_hash: str, original: str | None) -> LoadResult | None:
    """`deja_charge` when `original` (the path this content was first loaded from) exists, said to be a
    copy when it is another path."""
    if original is None:
        return None
    copy = None if original == str(path) else f"{path} : même contenu que {original}, déjà chargé : fichier ignoré"
    return LoadResult(path, kind, file_hash, "deja_charge", message=copy)


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from load_log").fetchone()[0]


def _lineage_batch(rows: RawRows, file_hash: str, file_name: str) -> pa.RecordBatch:
    n = rows.batch.num_rows
    return pa.RecordBatch.from_arrays(
        list(rows.batch.columns) + [pa.repeat(pa.scalar(file_hash, pa.string()), n),
                                    pa.repeat(pa.scalar(file_name, pa.string()), n)],
        schema=_with_lineage(rows.batch.schema),
    )


def _insert_into(con: duckdb.DuckDBPyConnection, table: str, data: pa.RecordBatch | pa.Table) -> None:
    con.register("_incoming", data)
    try:
        con.execute(f'insert into "{table}" by name select * from _incoming')
    finally:
        con.unregister("_incoming")


def _insert_batch(con: duckdb.DuckDBPyConnection, rows: RawRows, file_hash: str, file_name: str) -> int:
    _insert_into(con, rows.table, _lineage_batch(rows, file_hash, file_name))
    return rows.batch.num_rows


REJECTS_SCHEMA = pa.schema([
    ("load_id", pa.int32()), ("source_kind", pa.string()), ("file_name", pa.string()), ("file_hash", pa.string()),
    ("line", pa.int32()), ("reason", pa.string()), ("excerpt", pa.string()),
])
LOAD_LOG_SCHEMA = pa.schema([
    ("load_id", pa.int32()), ("source_kind", pa.string()), ("file_name", pa.string()), ("file_path", pa.string()),
    ("file_hash", pa.string()), ("file_bytes", pa.int64()), ("status", pa.string()), ("rows_loaded", pa.int64()),
    ("rows_rejected", pa.int64()), ("message", pa.string()), ("loaded_at", pa.timestamp("us")),
    ("seconds", pa.float64()),
])


def _reject_rows(load_id: int, kind: str, file_name: str, file_hash: str, rejects: list[Reject]) -> list[tuple]:
    """Rows of the rejects table (REJECTS_SCHEMA order) for one file's rejected lines."""
    return [(load_id, kind, file_name, file_hash, r.line, r.reason, r.excerpt) for r in rejects]


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, rows: list[tuple]) -> None:
    """Rows (tuples in schema order) inserted in one statement."""
    if rows:
        columns = zip(*rows, strict=True)
        _insert_into(con, table, pa.table([pa.array(values, f.type) for values, f in zip(columns, schema, strict=True)],
                                          schema=schema))


def _insert_rejects(con, load_id: int, kind: str, file_name: str, file_hash: str, rejects: list[Reject]) -> None:
    _insert_rows(con, "rejects", REJECTS_SCHEMA, _reject_rows(load_id, kind, file_name, file_hash, rejects))


def _log_row(load_id, kind, path: Path, file_hash, status, loaded, rejected, message, started) -> tuple:
    """The load_log row of one file (LOAD_LOG_SCHEMA order)."""
    return (load_id, kind, path.name, str(path), file_hash, path.stat().st_size, status, loaded, rejected,
            message, dt.datetime.now(), (dt.datetime.now() - started).total_seconds())


def _log(con, load_id, kind, path: Path, file_hash, status, loaded, rejected, message, started) -> None:
    con.execute(
        "insert into load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        list(_log_row(load_id, kind, path, file_hash, status, loaded, rejected, message, started)),
    )


def _forget_refusal(con: duckdb.DuckDBPyConnection, kind: str, path: Path, file_hash: str) -> None:
    """A refused file is read again at every run: its earlier refusal is replaced, never recorded twice."""
    refused = "select load_id from load_log where source_kind = ? and file_path = ? and file_hash = ? and status = 'rejete'"
    params = [kind, str(path), file_hash]
    con.execute(f"delete from rejects where load_id in ({refused})", params)
    con.execute(f"delete from load_log where load_id in ({refused})", params)


def load_file(con: duckdb.DuckDBPyConnection, reader: ModuleType, path: Path, context: ReadContext) -> LoadResult:
    """Load one source file through its reader, idempotently and atomically."""
    path = Path(path)
    kind = reader.KIND
    file_hash = file_sha256(path)
    if skipped := already_loaded(con, kind, path, file_hash):
        return skipped
    started = dt.datetime.now()
    ensure_tables(con, reader.TABLES)
    con.execute("begin transaction")
    load_id = _next_load_id(con)
    loaded, rejects = 0, []
    try:
        items: Iterator[RawRows | Reject] = reader.read(path, context)
        for item in items:
            if isinstance(item, Reject):
                rejects.append(item)
            else:
                loaded += _insert_batch(con, item, file_hash, path.name)
        _insert_rejects(con, load_id, kind, path.name, file_hash, rejects)
        _forget_refusal(con, kind, path, file_hash)
        _log(con, load_id, kind, path, file_hash, "charge", loaded, len(rejects), None, started)
        con.execute("commit")
    except SourceFileError as exc:
        con.execute("rollback")
        con.execute("begin transaction")
        _forget_refusal(con, kind, path, file_hash)
        _insert_rejects(con, load_id, kind, path.name, file_hash, [Reject(exc.line, exc.reason)])
        _log(con, load_id, kind, path, file_hash, "rejete", 0, 1, str(exc), started)
        con.execute("commit")
        return LoadResult(path, kind, file_hash, "rejete", 0, 1, str(exc))
    except BaseException:
        con.execute("rollback")
        raise
    return LoadResult(path, kind, file_hash, "charge", loaded, len(rejects))


GROUP_BYTES = 32 << 20  # source bytes loaded per transaction by load_files


class _Ledger:
    """What a group needs of load_log for one source kind, read once when the group opens and kept up to
    date by its loads: asking DuckDB four times per file (copy? refused before? next load id? log row)
    cost more than reading a small DSN file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: str):
        self.kind = kind
        self.last_id = _next_load_id(con) - 1
        self.loaded: dict[str, str] = dict(con.execute(  # file hash → smallest path it was loaded from
            "select file_hash, min(file_path) from load_log where source_kind = ? and status = 'charge' group by all",
            [kind],
        ).fetchall())
        self.refused = set(con.execute(
            "select file_path, file_hash from load_log where source_kind = ? and status = 'rejete'", [kind],
        ).fetchall())

    def already_loaded(self, path: Path, file_hash: str) -> LoadResult | None:
        """As `already_loaded`, from memory."""
        return _skipped(self.kind, path, file_hash, self.loaded.get(file_hash))

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def record(self, row: tuple) -> None:
        """A load_log row (LOAD_LOG_SCHEMA order) of this group."""
        _, _, _, path, file_hash, _, status, *_ = row
        if status == "charge":
            self.loaded[file_hash] = min(self.loaded.get(file_hash, path), path)
        else:
            self.refused.add((path, file_hash))


@dataclass
class _Pending:
    """A file of the open group, to be read when the group commits."""

    position: int  # in the group's results
    path: Path
    file_hash: str
    load_id: int
    started: dt.datetime


class _Group:
    """One transaction loading several small files: they are read together at commit (`read_files`: one
    pass for a reader with `read_many`), their rows, rejects and load-log rows inserted per table. A commit
    costs a disk sync and each statement a fixed overhead, which dominated the load of thousands of monthly
    DSN files (one transaction and ~15 statements per file); so did the reader's own per-file costs."""

    def __init__(self, con: duckdb.DuckDBPyConnection, reader: ModuleType, context: ReadContext):
        self.con, self.reader, self.context = con, reader, context
        self._reset()

    def _reset(self) -> None:
        self.open, self.ledger = False, None
        self.results: list[LoadResult | None] = []
        self.pending: list[_Pending] = []
        self.rows: dict[str, list[pa.RecordBatch]] = {}
        self.rejects: list[tuple] = []
        self.log: list[tuple] = []

    def add(self, path: Path) -> None:
        """A file of the group: skipped at once when its content is loaded, else read at commit."""
        kind = self.reader.KIND
        file_hash = file_sha256(path)
        if any(p.file_hash == file_hash for p in self.pending):  # a copy: loaded or refused as its original is
            self.read()
        if not self.open:
            self.con.execute("begin transaction")
            self.open, self.ledger = True, _Ledger(self.con, kind)
        if skipped := self.ledger.already_loaded(path, file_hash):
            self.results.append(skipped)
            return
        if (str(path), file_hash) in self.ledger.refused:
            _forget_refusal(self.con, kind, path, file_hash)
            self.ledger.refused.discard((str(path), file_hash))
        load_id = self.ledger.next_id()
        self.pending.append(_Pending(len(self.results), path, file_hash, load_id, dt.datetime.now()))
        self.results.append(None)

    def read(self) -> None:
        """Read the pending files together; buffer the rows of the loaded ones, record every load."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        kind = self.reader.KIND
        refusals: dict[int, SourceFileError] = {}
        rejects: list[list[Reject]] = [[] for _ in pending]
        batches: dict[str, list[pa.RecordBatch]] = {}
        for item in read_files(self.reader, [p.path for p in pending], self.context):
            if isinstance(item, RawRows):
                batches.setdefault(item.table, []).append(item.batch)
            elif isinstance(item[1], SourceFileError):
                refusals.setdefault(item[0], item[1])
            else:
                rejects[item[0]].append(item[1])
        loaded = np.zeros(len(pending), np.int64)
        hashes = pa.array([p.file_hash for p in pending], pa.string())
        names = pa.array([p.path.name for p in pending], pa.string())
        refused = pa.array(sorted(refusals), pa.int32())
        for table, parts in batches.items():
            for batch in _runs(parts):
                if len(refused):
                    batch = batch.filter(pc.invert(pc.is_in(batch.column(FILE_COLUMN), refused)))
                files, batch = batch.column(FILE_COLUMN), batch.drop_columns([FILE_COLUMN])
                loaded += np.bincount(files.to_numpy(), minlength=len(pending))
                self.rows.setdefault(table, []).append(pa.RecordBatch.from_arrays(
                    [*batch.columns, hashes.take(files), names.take(files)], schema=_with_lineage(batch.schema)))
        for index, file in enumerate(pending):
            if exc := refusals.get(index):
                result = LoadResult(file.path, kind, file.file_hash, "rejete", 0, 1, str(exc))
                self.rejects += _reject_rows(file.load_id, kind, file.path.name, file.file_hash,
                                             [Reject(exc.line, exc.reason)])
            else:
                result = LoadResult(file.path, kind, file.file_hash, "charge", int(loaded[index]), len(rejects[index]))
                self.rejects += _reject_rows(file.load_id, kind, file.path.name, file.file_hash, rejects[index])
            row = _log_row(file.load_id, kind, file.path, file.file_hash, result.status, result.rows_loaded,
                           result.rows_rejected, result.message, file.started)
            self.log.append(row)
            self.ledger.record(row)
            self.results[file.position] = result

    def commit(self) -> list[LoadResult]:
        """Read what is pending, write it all in one transaction; the group's results, in file order."""
        self.read()
        if self.open:
            while self.rows:
                table, batches = self.rows.popitem()
                _insert_into(self.con, table, pa.Table.from_batches(list(_runs(batches))))
            _insert_rows(self.con, "rejects", REJECTS_SCHEMA, self.rejects)
            _insert_rows(self.con, "load_log", LOAD_LOG_SCHEMA, self.log)
            self.con.execute("commit")
        results = self.results
        self._reset()
        return results

    def rollback(self) -> None:
        if self.open:
            self.con.execute("rollback")
        self._reset()


RUN_ROWS = 16_384  # rows per Arrow chunk inserted, at least (but a larger batch is kept whole)


def _runs(batches: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Consecutive batches concatenated into runs of at least RUN_ROWS rows. DuckDB's scan of an Arrow
    table pays a fixed cost per chunk: a group's thousand one-row declaration batches took longer to
    insert than its million rubrics (measured 0.8 s of CPU against 0.02 s once concatenated)."""
    run: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        run.append(batch)
        rows += batch.num_rows
        if rows >= RUN_ROWS:
            yield _concatenated(run)
            run, rows = [], 0
    if run:
        yield _concatenated(run)


def _concatenated(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    return batches[0] if len(batches) == 1 else pa.concat_batches(batches)


def file_groups(paths: list[Path]) -> Iterator[list[Path]]:
    """Consecutive files of up to GROUP_BYTES of source together (an empty file counts in its group); a
    larger file alone."""
    group, size = [], 0
    for path in map(Path, paths):
        file_size = path.stat().st_size
        if group and (size + file_size > GROUP_BYTES or file_size > GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(path)
        size += file_size
    if group:
        yield group


def load_files(con: duckdb.DuckDBPyConnection, reader: ModuleType, paths: list[Path], context: ReadContext,
               progress=None) -> list[LoadResult]:
    """Load files like load_file, each one atomically, small ones several per transaction (`file_groups`)
    and read together: an interrupted run loses the files of the open group, read again next time. A file
    larger than GROUP_BYTES is streamed in its own transaction."""
    ensure_tables(con, reader.TABLES)
    group = _Group(con, reader, context)
    results = []
    try:
        for paths_together in file_groups(paths):
            for path in paths_together:
                if progress:
                    progress(path)
                if path.stat().st_size > GROUP_BYTES:
                    results.append(load_file(con, reader, path, context))
                else:
                    group.add(path)
            results += group.commit()
    except BaseException:
        group.rollback()
        raise
    return results
