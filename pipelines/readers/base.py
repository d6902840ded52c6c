"""What every reader yields, and small helpers shared by readers."""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.pseudonymise import Pseudonymiser

BATCH_ROWS = 50_000
BLOCK_BYTES = 8 << 20  # a block and its decoded text stay small beside the run's memory


class RawRows(NamedTuple):
    """A batch of rows for one raw table. Every batch has a ``_line`` column (line or row number)."""

    table: str
    batch: pa.RecordBatch


class Reject(NamedTuple):
    """A line that could not be loaded, with its reason in French. It goes to the rejects table."""

    line: int | None
    reason: str
    excerpt: str | None = None


@dataclass
class ReadContext:
    """What a reader needs beside the path: the pseudonymiser and source-specific options."""

    pseudonymiser: Pseudonymiser
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


FILE_COLUMN = "_file"  # in the batches of a multi-file read: the row's file, as its index in the paths read


def read_files(reader, paths: list[Path], context: ReadContext) -> Iterator[RawRows | tuple[int, Reject | SourceFileError]]:
    """Several files through one reader: RawRows whose batch has a FILE_COLUMN, and (file index, Reject or
    SourceFileError) pairs; a refused file's rows and rejects may come before its refusal (the caller drops
    them). A reader with a `read_many` of this contract reads the files together (its fixed costs paid once
    per group, not per file); any other is read file by file."""
    if hasattr(reader, "read_many"):
        yield from reader.read_many(paths, context)
        return
    for index, path in enumerate(paths):
        try:
            for item in reader.read(path, context):
                yield (index, item) if isinstance(item, Reject) else with_file_index(item, index)
        except SourceFileError as exc:
            yield index, exc


def with_file_index(rows: RawRows, index: int | pa.Array) -> RawRows:
    """The rows with their FILE_COLUMN (one file's index, or one per row)."""
    if isinstance(index, int):
        index = pa.array(np.full(rows.batch.num_rows, index, np.int32))
    return RawRows(rows.table, rows.batch.append_column(pa.field(FILE_COLUMN, pa.int32()), index))


class BatchBuilder:
    """Accumulates rows (tuples in schema order) and emits RecordBatches of BATCH_ROWS rows."""

    def __init__(self, table: str, schema: pa.Schema, size: int = BATCH_ROWS):
        self.table = table
        self.schema = schema
        self.size = size
        self._columns: list[list] = [[] for _ in schema.names]

    def add(self, row: tuple) -> RawRows | None:
        for column, value in zip(self._columns, row, strict=True):
            column.append(value)
        if len(self._columns[0]) >= self.size:
            return self.flush()
        return None

    def flush(self) -> RawRows | None:
        if not self._columns[0]:
            return None
        arrays = [pa.array(values, type=f.type) for values, f in zip(self._columns, self.schema, strict=True)]
        self._columns = [[] for _ in self.schema.names]
        return RawRows(self.table, pa.RecordBatch.from_arrays(arrays, schema=self.schema))


def flushed(builders: Iterable[BatchBuilder]) -> Iterator[RawRows]:
    for builder in builders:
        rows = builder.flush()
        if rows is not None:
            yield rows


def decode_lines(path: Path, encoding: str, newline: str | None = "") -> Iterator[str]:
    """Stream a text file; an undecodable byte raises SourceFileError naming its line."""
    try:
        with open(path, encoding=encoding, newline=newline) as handle:
            yield from handle
    except UnicodeDecodeError:
        check_encoding(path, encoding)  # the text layer decodes ahead of the lines: find the bad byte's own line
        raise


def byte_blocks(path: Path, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The file in blocks of about `size` bytes, each ending at a line end (or at the end of the file)."""
    with open(path, "rb") as handle:
        rest = b""
        while chunk := handle.read(size):
            block = rest + chunk
            cut = block.rfind(b"\n") + 1
            if cut:
                rest = block[cut:]
                yield block[:cut]
            else:
                rest = block
        if rest:
            yield rest


# Messages of the libraries under the readers (calamine, sqlite3), said in French to the user.
LIBRARY_MESSAGES = {
    "invalid zip archive": "ce n'est pas une archive .xlsx (zip) valide",
    "file is not a zip file": "ce n'est pas une archive .xlsx (zip) valide",
    "file is not a database": "ce n'est pas une base SQLite",
    "database disk image is malformed": "base SQLite endommagée",
    "file is encrypted": "fichier chiffré",
    "unable to open database file": "fichier impossible à ouvrir",
    "no such table": "table absente",
    "no such column": "colonne absente",
}


def library_message(exc: Exception) -> str:
    """A library error said in French; an unknown one keeps its original text, marked as technical detail."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for english, french in LIBRARY_MESSAGES.items():
        if english in text.lower():
            return french
    return f"détail technique : {text}"


def open_workbook(path: Path):
    """The .xlsx workbook, or SourceFileError when the file is not one."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for non-xlsx content
        raise SourceFileError(path, f"classeur illisible : un fichier .xlsx est attendu ({library_message(exc)})") from None


def is_binary(path: Path, probe: int = 8192) -> bool:
    with open(path, "rb") as handle:
        return b"\x00" in handle.read(probe)


def check_encoding(path: Path, encoding: str) -> None:
    """Decode the whole file incrementally; raise SourceFileError at the first bad byte with its line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk[: exc.start].count(b"\n")
                raise SourceFileError(
                    path, f"encodage inattendu (attendu : {encoding}) : octet {chunk[exc.start]:#04x} illisible",
                    bad_line,
                ) from None
            line += chunk.count(b"\n")


def parse_fr_date(text: str) -> dt.date:
    """JJ/MM/AAAA → date (raises ValueError)."""
    day, month, year = text.split("/")
    if len(year) != 4:
        raise ValueError(text)
    return dt.date(int(year), int(month), int(day))


def parse_iso_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


FINESS_LEN = 9


def valid_finess(value: str | None) -> bool:
    return bool(value) and len(value) == FINESS_LEN and value.isalnum()
