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
import pyarrow as pa

from pipelines.errors import SourceFileError, TdbmsError
from pipelines.readers.base import RawRows, ReadContext, Reject

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
    if original is None:
        return None
    copy = None if original == str(path) else f"{path} : même contenu que {original}, déjà chargé : fichier ignoré"
    return LoadResult(path, kind, file_hash, "deja_charge", message=copy)


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from load_log").fetchone()[0]


def _lineage_batch(rows: RawRows, file_hash: str, file_name: str) -> pa.RecordBatch:
    n = rows.batch.num_rows
    return pa.RecordBatch.from_arrays(
        list(rows.batch.columns) + [pa.array([file_hash] * n, pa.string()), pa.array([file_name] * n, pa.string())],
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


def _insert_rejects(con, load_id: int, kind: str, file_name: str, file_hash: str, rejects: list[Reject]) -> None:
    if not rejects:
        return
    table = pa.table(
        {
            "load_id": pa.array([load_id] * len(rejects), pa.int32()),
            "source_kind": pa.array([kind] * len(rejects)),
            "file_name": pa.array([file_name] * len(rejects)),
            "file_hash": pa.array([file_hash] * len(rejects)),
            "line": pa.array([r.line for r in rejects], pa.int32()),
            "reason": pa.array([r.reason for r in rejects]),
            "excerpt": pa.array([r.excerpt for r in rejects]),
        }
    )
    con.register("_rejects", table)
    try:
        con.execute("insert into rejects by name select * from _rejects")
    finally:
        con.unregister("_rejects")


def _log(con, load_id, kind, path: Path, file_hash, status, loaded, rejected, message, started) -> None:
    con.execute(
        "insert into load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id, kind, path.name, str(path), file_hash, path.stat().st_size, status, loaded, rejected,
            message, dt.datetime.now(), (dt.datetime.now() - started).total_seconds(),
        ],
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


class _Group:
    """One transaction loading several small files: their rows and rejects are buffered per table and
    inserted at commit. A commit costs a disk sync and each insert a fixed overhead, which dominated the
    load of thousands of monthly DSN files (one transaction and ~10 inserts per file)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.open, self.bytes = con, False, 0
        self.rows: dict[str, list[pa.RecordBatch]] = {}
        self.rejects: list[tuple[int, str, str, str, list[Reject]]] = []

    def begin(self) -> None:
        if not self.open:
            self.con.execute("begin transaction")
            self.open = True

    def commit(self) -> None:
        if not self.open:
            return
        for table, batches in self.rows.items():
            _insert_into(self.con, table, pa.Table.from_batches(batches))
        for load_id, kind, name, file_hash, rejects in self.rejects:
            _insert_rejects(self.con, load_id, kind, name, file_hash, rejects)
        self.con.execute("commit")
        self.open, self.bytes, self.rows, self.rejects = False, 0, {}, []

    def rollback(self) -> None:
        if self.open:
            self.con.execute("rollback")
        self.open, self.bytes, self.rows, self.rejects = False, 0, {}, []

    def load(self, reader: ModuleType, path: Path, context: ReadContext) -> LoadResult:
        """Read a whole file (buffered: nothing of it is written when it is refused), record its load."""
        con, kind = self.con, reader.KIND
        file_hash = file_sha256(path)
        self.begin()
        self.bytes += path.stat().st_size
        if skipped := already_loaded(con, kind, path, file_hash):
            return skipped
        started = dt.datetime.now()
        load_id = _next_load_id(con)
        _forget_refusal(con, kind, path, file_hash)
        try:
            items = list(reader.read(path, context))
        except SourceFileError as exc:
            self.rejects.append((load_id, kind, path.name, file_hash, [Reject(exc.line, exc.reason)]))
            _log(con, load_id, kind, path, file_hash, "rejete", 0, 1, str(exc), started)
            return LoadResult(path, kind, file_hash, "rejete", 0, 1, str(exc))
        rejects = [item for item in items if isinstance(item, Reject)]
        loaded = 0
        for item in items:
            if isinstance(item, RawRows):
                self.rows.setdefault(item.table, []).append(_lineage_batch(item, file_hash, path.name))
                loaded += item.batch.num_rows
        self.rejects.append((load_id, kind, path.name, file_hash, rejects))
        _log(con, load_id, kind, path, file_hash, "charge", loaded, len(rejects), None, started)
        return LoadResult(path, kind, file_hash, "charge", loaded, len(rejects))


def load_files(con: duckdb.DuckDBPyConnection, reader: ModuleType, paths: list[Path], context: ReadContext,
               progress=None) -> list[LoadResult]:
    """Load files like load_file, each one atomically, small ones several per transaction (up to
    GROUP_BYTES of source): an interrupted run loses the files of the open group, read again next time.
    A file larger than GROUP_BYTES is streamed in its own transaction."""
    ensure_tables(con, reader.TABLES)
    group = _Group(con)
    results = []
    try:
        for path in map(Path, paths):
            if progress:
                progress(path)
            size = path.stat().st_size
            if group.bytes and group.bytes + size > GROUP_BYTES:
                group.commit()
            if size > GROUP_BYTES:
                results.append(load_file(con, reader, path, context))
            else:
                results.append(group.load(reader, path, context))
        group.commit()
    except BaseException:
        group.rollback()
        raise
    return results
