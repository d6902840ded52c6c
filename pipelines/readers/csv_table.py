"""Shared machinery of the delimited-text activity readers (export_csv, pivot): a file = one table whose
columns are declared once (header label → field, type, required), parsed and validated line by line."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.readers.base import BatchBuilder, RawRows, Reject, flushed


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


def csv_rows(reader) -> Iterator[list[str] | Reject]:
    """The rows of a csv reader; a line it cannot parse (a field beyond its size limit, a NUL byte) becomes a
    Reject instead of stopping the whole file."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                reason = f"ligne illisible : un champ dépasse {csv.field_size_limit()} caractères (ligne trop longue)"
            elif "NUL" in str(exc):
                reason = "ligne illisible : octet nul (fichier binaire ou abîmé)"
            else:
                reason = "ligne illisible : guillemets ou séparateurs mal placés"
            yield Reject(reader.line_num, reason)


def read_table(
    path: Path, spec: TableSpec, lines: Iterator[str], delimiter: str, pseudonymiser,
    constants: tuple[tuple[str, pa.DataType, object], ...] = (),
) -> Iterator[RawRows | Reject]:
    """Parse a delimited file given as decoded lines; yield batches and rejects.
    `constants` = (name, type, value) columns put first on every row (e.g. the extraction date)."""
    reader = csv.reader(lines, delimiter=delimiter)
    rows = csv_rows(reader)
    header = next(rows, None)
    if header is None:
        raise SourceFileError(path, "fichier vide (pas d'en-tête)", 1)
    if isinstance(header, Reject):
        raise SourceFileError(path, f"en-tête {header.reason.removeprefix('ligne ')}", 1)
    positions = check_header(path, header, spec)
    schema = pa.schema([*[(name, typ) for name, typ, _ in constants], *spec.schema])
    constant_values = tuple(value for _, _, value in constants)
    builder = BatchBuilder(spec.table, schema)
    kept = [c for c in spec.columns if not c.drop]
    cache: dict[tuple[str, str], str | None] = {}
    for row in rows:
        if isinstance(row, Reject):
            yield row
            continue
        line = reader.line_num
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) < len(header):
            yield Reject(line, f"ligne incomplète : {len(row)} champ(s) au lieu de {len(header)}", delimiter.join(row)[:200])
            continue
        record, reason = {}, None
        for column, pos in zip(spec.columns, positions, strict=True):
            if column.drop:
                continue
            text = row[pos].strip()
            if not text:
                if column.required:
                    reason = f"valeur obligatoire absente : « {column.header} »"
                    break
                record[column.name] = None
                continue
            if column.pseudonymise:
                key = (column.pseudonymise, text)
                if key not in cache:
                    cache[key] = pseudonymiser.key(text, column.pseudonymise)
                record[column.name] = cache[key]
                continue
            try:
                record[column.name] = column.parse(text) if column.parse else text
            except ValueError as exc:
                detail = str(exc) if str(exc) and not str(exc).startswith(("invalid", "day is", "month must")) else ""
                reason = detail or f"valeur « {text} » invalide pour « {column.header} »"
                break
        if reason is None and spec.row_check:
            reason = spec.row_check(record)
        if reason:
            yield Reject(line, reason, _excerpt(row, spec, positions))
            continue
        out = builder.add((*constant_values, *(record[c.name] for c in kept), line))
        if out:
            yield out
    yield from flushed([builder])


def _excerpt(row: list[str], spec: TableSpec, positions: list[int]) -> str:
    """The rejected line without its identity columns (names and NIR never reach the rejects table)."""
    shown = [row[pos] for column, pos in zip(spec.columns, positions, strict=True) if not column.drop and not column.pseudonymise]
    return ";".join(shown)[:200]


# --- value parsers shared by the families (French messages) ---

def parse_date_fr(text: str) -> dt.date:
    try:
        day, month, year = text.split("/")
        if len(year) != 4:
            raise ValueError
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"date « {text} » invalide (format attendu JJ/MM/AAAA)") from None


def parse_date_iso(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date « {text} » invalide (format attendu AAAA-MM-JJ)") from None


def parse_finess(text: str) -> str:
    if len(text) != 9 or not text.isalnum():
        raise ValueError(f"FINESS « {text} » invalide (9 caractères attendus)")
    return text


def parse_choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"valeur « {text} » inattendue (valeurs possibles : {', '.join(allowed)})")
        return text

    return parse


def parse_yes_no(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("oui", "true", "1"):
        return True
    if lowered in ("non", "false", "0"):
        return False
    raise ValueError(f"valeur « {text} » inattendue (Oui ou Non)")


def parse_int_range(low: int, high: int) -> Callable[[str], int]:
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
    def check(record: dict) -> str | None:
        if record.get(exit_) and record.get(entry) and record[exit_] < record[entry]:
            return f"date de sortie ({record[exit_]:%d/%m/%Y}) antérieure à la date d'entrée ({record[entry]:%d/%m/%Y})"
        return None

    return check
