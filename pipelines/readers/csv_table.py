"""Shared machinery of the delimited-text activity readers (export_csv, pivot): a file = one table whose
columns are declared once (header label → field, type, required), parsed and validated line by line."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.errors import SourceFileError
from pipelines.readers.base import (
    BatchBuilder,
    RawRows,
    Reject,
    byte_blocks,
    check_encoding,
    decode_lines,
    flushed,
)


@dataclass(frozen=True)
class Column:
    header: str  # label in the file's header line
    name: str  # raw table column
    type: pa.DataType
    parse: Callable[[str], object] | None = None  # text -> value; raises ValueError with a French message
    required: bool = False  # a value must be present
    pseudonymise: str | None = None  # domain of the keyed hash (the clear value never leaves the reader)
    drop: bool = False  # identity column read only to be discarded (names, NIR)


@dataclass(frozen=True)
class TableSpec:
    file_name: str
    table: str
    columns: tuple[Column, ...]
    row_check: Callable[[dict], str | None] | None = None  # cross-field check → French reason or None

    @property
    def schema(self) -> pa.Schema:
        fields = [(c.name, c.type) for c in self.columns if not c.drop]
        return pa.schema(fields + [("_line", pa.int32())])

    @property
    def vectorised(self) -> bool:
        """Every rule of the table has its Arrow form (see `arrow_form`)."""
        rules = [c.parse for c in self.columns if c.parse and not c.drop and not c.pseudonymise] + [self.row_check]
        return all(rule is None or hasattr(rule, "vector") for rule in rules)


def check_header(path: Path, header: list[str], spec: TableSpec) -> list[int]:
    """Positions of the declared columns; a missing column is fatal (SourceFileError, line 1). The cells found
    are quoted only when some declared column is among them: otherwise line 1 may well be a data line (names,
    NIR), never to be copied into a message."""
    cleaned = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c.header for c in spec.columns if c.header not in cleaned]
    if len(missing) == len(spec.columns):
        raise SourceFileError(
            path,
            f"colonne(s) absente(s) de l'en-tête : aucune des colonnes attendues ({', '.join(missing)}) ; "
            "la ligne d'en-tête manque ou le séparateur n'est pas le bon",
            1,
        )
    if missing:
        raise SourceFileError(
            path,
            f"colonne(s) absente(s) de l'en-tête : {', '.join(missing)} "
            f"(colonnes trouvées : {', '.join(cleaned) or 'aucune'})",
            1,
        )
    return [cleaned.index(c.header) for c in spec.columns]


def field_too_large() -> str:
    return f"ligne illisible : un champ dépasse {csv.field_size_limit()} caractères (ligne trop longue)"


def unreadable(exc: csv.Error) -> str:
    """Why the csv module could not split a line, in French."""
    if "field larger than field limit" in str(exc):
        return field_too_large()
    if "NUL" in str(exc):
        return "ligne illisible : octet nul (fichier binaire ou abîmé)"
    return "ligne illisible : guillemets ou séparateurs mal placés"


def csv_rows(reader) -> Iterator[list[str] | Reject]:
    """The rows of a csv reader; a line it cannot parse (a field beyond its size limit, a NUL byte) becomes a
    Reject instead of stopping the whole file."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Reject(reader.line_num, unreadable(exc))


class RowParser:
    """The rules of one line of a table, and the only place their French reasons are written: the line-by-line
    path calls it on every line, the vectorised path on the lines it cannot vouch for."""

    def __init__(self, spec: TableSpec, header: list[str], positions: list[int], delimiter: str, pseudonymiser,
                 constants: tuple[tuple[str, pa.DataType, object], ...]):
        self.spec, self.width, self.positions, self.delimiter = spec, len(header), positions, delimiter
        self.pseudonymiser = pseudonymiser
        self.constant_values = tuple(value for _, _, value in constants)
        self.kept = [c for c in spec.columns if not c.drop]

    def __call__(self, row: list[str], line: int) -> tuple | Reject | None:
        """The raw row (constants, kept columns, line), a Reject, or None for a blank line."""
        spec = self.spec
        if not row or all(not v.strip() for v in row):
            return None
        if len(row) < self.width:
            return Reject(line, f"ligne incomplète : {len(row)} champ(s) au lieu de {self.width}", self._excerpt(row))
        record = {}
        for column, pos in zip(spec.columns, self.positions, strict=True):
            if column.drop:
                continue
            text = row[pos].strip()
            if not text:
                if column.required:
                    return Reject(line, f"valeur obligatoire absente : « {column.header} »", self._excerpt(row))
                record[column.name] = None
            elif column.pseudonymise:
                record[column.name] = self.pseudonymiser.key(text, column.pseudonymise)
            else:
                try:
                    record[column.name] = column.parse(text) if column.parse else text
                except ValueError as exc:
                    detail = str(exc) if str(exc) and not str(exc).startswith(("invalid", "day is", "month must")) else ""
                    return Reject(line, detail or f"valeur « {text} » invalide pour « {column.header} »", self._excerpt(row))
        reason = spec.row_check(record) if spec.row_check else None
        if reason:
            return Reject(line, reason, self._excerpt(row))
        return (*self.constant_values, *(record[c.name] for c in self.kept), line)

    def _excerpt(self, row: list[str]) -> str:
        """The rejected line without its identity columns (names and NIR never reach the rejects table)."""
        columns = zip(self.spec.columns, self.positions, strict=True)
        shown = (row[pos] if pos < len(row) else "" for column, pos in columns if not column.drop and not column.pseudonymise)
        return ";".join(shown)[:200]


def _row_parser(path: Path, spec: TableSpec, rows: Iterator[list[str] | Reject], delimiter: str, pseudonymiser,
                constants: tuple[tuple[str, pa.DataType, object], ...]) -> RowParser:
    """The RowParser of a file from its header (the first of `rows`), checked against the table's columns."""
    header = next(rows, None)
    if header is None:
        raise SourceFileError(path, "fichier vide (pas d'en-tête)", 1)
    if isinstance(header, Reject):
        raise SourceFileError(path, f"en-tête {header.reason.removeprefix('ligne ')}", 1)
    return RowParser(spec, header, check_header(path, header, spec), delimiter, pseudonymiser, constants)


def _schema(spec: TableSpec, constants: tuple[tuple[str, pa.DataType, object], ...]) -> pa.Schema:
    return pa.schema([*[(name, typ) for name, typ, _ in constants], *spec.schema])


def read_table(
    path: Path, spec: TableSpec, lines: Iterator[str], delimiter: str, pseudonymiser,
    constants: tuple[tuple[str, pa.DataType, object], ...] = (), first_line: int = 2,
) -> Iterator[RawRows | Reject]:
    """Parse a delimited file given as decoded lines, line by line (any quoting); yield batches and rejects.
    `constants` = (name, type, value) columns put first on every row (e.g. the extraction date); the lines
    before `first_line` are skipped (already read by the vectorised path)."""
    reader = csv.reader(lines, delimiter=delimiter)
    rows = csv_rows(reader)
    parse = _row_parser(path, spec, rows, delimiter, pseudonymiser, constants)
    builder = BatchBuilder(spec.table, _schema(spec, constants))
    for row in rows:
        if reader.line_num < first_line:
            continue
        parsed = row if isinstance(row, Reject) else parse(row, reader.line_num)
        if isinstance(parsed, Reject):
            yield parsed
        elif parsed is not None and (out := builder.add(parsed)):
            yield out
    yield from flushed([builder])


# --- the vectorised path: Arrow's CSV parser, then each column checked whole with Arrow compute ---

# Characters Python's str.strip() removes besides space and tab: a line holding a control one is read line by
# line; a cell that starts or ends with a non-ASCII one is read by RowParser, whose rules are the reference.
CONTROL_BYTES = (b"\x00", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
UNUSUAL = "[\\x85\\xa0\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"
UNUSUAL_EDGE = f"^{UNUSUAL}|{UNUSUAL}$"
ARROW_BLOCK_BYTES = 8 << 20


def _one_row_per_line(path: Path, encoding: str) -> bool:
    """No quote and no control byte: each line (ended by CR, LF or CRLF for both parsers) is one row split
    by the delimiter alone, as the csv module would split it. An undecodable byte is refused here, naming its
    line."""
    for block in byte_blocks(path):
        try:
            block.decode(encoding)
        except UnicodeDecodeError:
            check_encoding(path, encoding)
            raise
        if b'"' in block or any(byte in block for byte in CONTROL_BYTES):
            return False
    return True


def read_delimited(
    path: Path, spec: TableSpec, encoding: str, delimiter: str, pseudonymiser,
    constants: tuple[tuple[str, pa.DataType, object], ...] = (),
) -> Iterator[RawRows | Reject]:
    """Read a delimited file: vectorised when each line is one row and every rule of the table has its Arrow
    form, line by line otherwise (from the start, or from the block where Arrow met a line of another
    width). Both give the same rows, rejects and reasons (tests/test_vectorised_readers.py)."""
    if not (spec.vectorised and _one_row_per_line(path, encoding)):
        yield from read_table(path, spec, decode_lines(path, encoding), delimiter, pseudonymiser, constants)
        return
    with open(path, encoding=encoding, newline="") as handle:
        parse = _row_parser(path, spec, csv_rows(csv.reader(handle, delimiter=delimiter)), delimiter, pseudonymiser,
                            constants)
    names = [f"c{index}" for index in range(parse.width)]
    other_width = []  # Arrow skips a line of another width without telling which: the block goes line by line
    batches = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding.removesuffix("-sig"), skip_rows=1, column_names=names,
                                       block_size=ARROW_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False,
                                          invalid_row_handler=lambda row: other_width.append(row) or "skip"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                             strings_can_be_null=False),
    )
    line = 2
    for batch in batches:
        if other_width:
            yield from read_table(path, spec, decode_lines(path, encoding), delimiter, pseudonymiser, constants, line)
            return
        yield from _vectorised_batch(parse, batch, line, constants)
        line += batch.num_rows


def _vectorised_batch(parse: RowParser, batch: pa.RecordBatch, first: int,
                      constants: tuple[tuple[str, pa.DataType, object], ...]) -> Iterator[RawRows | Reject]:
    """Rows whose every cell passes its column's Arrow rule become one batch; the other non-blank rows
    (unusual characters at a cell's edge, a cell refused) are handed to the RowParser, which rejects or keeps
    them with its reason."""
    spec = parse.spec
    cells = [pc.ascii_trim(column, characters=" \t") for column in batch.columns]
    blank = np.logical_and.reduce([np.asarray(pc.equal(cell, "")) for cell in cells])
    good = ~blank
    limit = csv.field_size_limit()
    for column in batch.columns:  # the csv module refuses a longer field: so does this path
        if (pc.max(pc.binary_length(column)).as_py() or 0) > limit:
            good &= ~np.asarray(pc.greater(pc.utf8_length(column), limit))
    for cell in cells:
        if not pc.all(pc.string_is_ascii(cell)).as_py():  # control bytes were ruled out by the whole file
            good &= ~np.asarray(pc.match_substring_regex(cell, UNUSUAL_EDGE))
    values = checked_columns(spec, [cells[position] for position in parse.positions], good)
    numbers = np.arange(first, first + batch.num_rows, dtype=np.int32)
    if good.any():
        yield arrow_rows(spec, values, good, numbers, constants, parse.pseudonymiser)
    retried = np.flatnonzero(~good & ~blank)
    rows = pa.Table.from_batches([batch]).take(retried).to_pylist()
    builder = BatchBuilder(spec.table, _schema(spec, constants))
    for index, row in zip(retried, rows, strict=True):
        row = list(row.values())
        too_large = any(len(value) > limit for value in row)
        parsed = Reject(int(numbers[index]), field_too_large()) if too_large else parse(row, int(numbers[index]))
        if isinstance(parsed, Reject):
            yield parsed
        elif parsed is not None and (out := builder.add(parsed)):
            yield out
    yield from flushed([builder])


def checked_columns(spec: TableSpec, texts: list[pa.Array], good: np.ndarray) -> dict[str, pa.Array]:
    """The parsed value of each kept column from its trimmed text cells (`texts`, in the order of
    spec.columns, "" when empty); `good` is narrowed in place to the rows every rule of the table vouches for."""
    values: dict[str, pa.Array] = {}
    for column, text in zip(spec.columns, texts, strict=True):
        if column.drop:
            continue
        empty = np.asarray(pc.equal(text, ""))
        value, ok = (text, None) if column.pseudonymise or not column.parse else column.parse.vector(text)
        if ok is not None:
            good &= empty | np.asarray(ok)
        if column.required:
            good &= ~empty
        values[column.name] = pc.if_else(empty, pa.scalar(None, value.type), value)
    if spec.row_check:
        good &= ~np.asarray(spec.row_check.vector(values))
    return values


def arrow_rows(spec: TableSpec, values: dict[str, pa.Array], good: np.ndarray, numbers: np.ndarray,
               constants: tuple[tuple[str, pa.DataType, object], ...], pseudonymiser) -> RawRows:
    """The raw rows of the good rows: constants, kept columns (identifiers as keyed hashes), line numbers."""
    kept = pa.array(good)
    columns = [pa.repeat(pa.scalar(value, typ), int(good.sum())) for _, typ, value in constants]
    for column in spec.columns:
        if column.drop:
            continue
        value = values[column.name].filter(kept)
        if column.pseudonymise:
            value = pseudonymiser.keys(value, column.pseudonymise)
        columns.append(value.cast(column.type))
    columns.append(pa.array(numbers[good], pa.int32()))
    return RawRows(spec.table, pa.RecordBatch.from_arrays(columns, schema=_schema(spec, constants)))


# --- value parsers shared by the families (French messages), each with its Arrow form ---

def arrow_form(vector: Callable) -> Callable:
    """Attach to a rule its Arrow form, used on whole columns by the vectorised path. A parser's form maps
    trimmed non-empty cells to (values, ok); a row check's form maps the parsed columns to a mask of the rows
    it refuses. A form may doubt more than its rule (the RowParser re-reads those lines and writes the
    reason) but must never accept what the rule refuses."""

    def attach(rule: Callable) -> Callable:
        rule.vector = vector
        return rule

    return attach


def _arrow_dates(shape: str, fmt: str, month: int) -> Callable:
    """Dates of a fixed shape whose month starts at this offset. Arrow's strptime rolls an impossible day
    over (30/02 → 01/03): a date is kept only when its month is still the written one."""

    def vector(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
        shaped = pc.match_substring_regex(cells, shape)
        stamps = pc.strptime(cells, format=fmt, unit="s", error_is_null=True)
        written = pc.cast(pc.if_else(shaped, pc.utf8_slice_codeunits(cells, month, month + 2), "0"), pa.int64())
        ok = pc.fill_null(pc.and_(shaped, pc.equal(pc.month(stamps), written)), False)
        return pc.cast(stamps, pa.date32()), ok

    return vector


@arrow_form(_arrow_dates(r"^\d{2}/\d{2}/[1-9]\d{3}$", "%d/%m/%Y", month=3))
def parse_date_fr(text: str) -> dt.date:
    try:
        day, month, year = text.split("/")
        if len(year) != 4:
            raise ValueError
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"date « {text} » invalide (format attendu JJ/MM/AAAA)") from None


@arrow_form(_arrow_dates(r"^[1-9]\d{3}-\d{2}-\d{2}$", "%Y-%m-%d", month=5))
def parse_date_iso(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date « {text} » invalide (format attendu AAAA-MM-JJ)") from None


@arrow_form(lambda cells: (cells, pc.match_substring_regex(cells, "^[0-9A-Za-z]{9}$")))
def parse_finess(text: str) -> str:
    if len(text) != 9 or not text.isalnum():
        raise ValueError(f"FINESS « {text} » invalide (9 caractères attendus)")
    return text


def parse_choice(*allowed: str) -> Callable[[str], str]:
    @arrow_form(lambda cells: (cells, pc.is_in(cells, value_set=pa.array(allowed, pa.string()))))
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"valeur « {text} » inattendue (valeurs possibles : {', '.join(allowed)})")
        return text

    return parse


YES, NO = ("oui", "true", "1"), ("non", "false", "0")


def _arrow_yes_no(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
    lowered = pc.ascii_lower(cells)  # a non-ASCII cell stays unknown here, as it is for str.lower() below
    return pc.is_in(lowered, value_set=pa.array(YES)), pc.is_in(lowered, value_set=pa.array(YES + NO))


@arrow_form(_arrow_yes_no)
def parse_yes_no(text: str) -> bool:
    lowered = text.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ValueError(f"valeur « {text} » inattendue (Oui ou Non)")


def parse_int_range(low: int, high: int) -> Callable[[str], int]:
    def vector(cells: pa.Array) -> tuple[pa.Array, pa.Array]:
        shaped = pc.match_substring_regex(cells, r"^-?[0-9]{1,18}$")
        numbers = pc.cast(pc.if_else(shaped, cells, "0"), pa.int64())
        return numbers, pc.and_(shaped, pc.and_(pc.greater_equal(numbers, low), pc.less_equal(numbers, high)))

    @arrow_form(vector)
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"nombre entier attendu, « {text} » reçu") from None
        if not low <= value <= high:
            raise ValueError(f"valeur {value} hors de l'intervalle {low}–{high}")
        return value

    return parse


def exit_not_before_entry(entry: str, exit_: str) -> Callable[[dict], str | None]:
    @arrow_form(lambda columns: pc.fill_null(pc.less(columns[exit_], columns[entry]), False))
    def check(record: dict) -> str | None:
        if record.get(exit_) and record.get(entry) and record[exit_] < record[entry]:
            return f"date de sortie ({record[exit_]:%d/%m/%Y}) antérieure à la date d'entrée ({record[entry]:%d/%m/%Y})"
        return None

    return check
