"""FEC (fichier des écritures comptables, art. A47 A-1 LPF): one file = one accounting dossier × exercise.

Layout: ``<fec folder>/<dossier>/<SIREN>FEC<AAAAMMJJ>[suffix].txt``. The sub-folder is the accounting
dossier (FI-01: the association config maps it to a FINESS or to the siège; the file name cannot, two
dossiers of one legal entity share a SIREN). A re-delivery replaces the first file or sits beside it with
a suffix after the date (``…FEC20231231_v2.txt``, loaded after it); the reader keeps what identifies the
delivery and the staging model keeps the latest load of each dossier × exercise.

How a file is read (spec hr_finance_standards.md §2.3–2.4; decisions FI-08, FI-09):
1. one fast pass over the bytes: empty file, NUL bytes of a binary file, UTF-8 validity;
2. the header line is parsed in Python (separator, column aliases, Debit/Credit or Montant/Sens);
3. DuckDB (a throwaway database in a temporary folder) reads each physical line as one value, in file
   order, so a line's number is its rank; SQL splits, trims and casts; a line that cannot be typed gets a
   French reason and becomes a ``Reject``. The lines stream out in Arrow batches (memory stays flat) while
   what the checks need of them goes into a narrow table;
4. a file that is not UTF-8 (FI-08: cp1252 when a byte is in 0x80–0x9F, else ISO-8859-15), or whose line
   ends are irregular (mixed, ``\\r\\r\\n``, CR only), is read from a UTF-8 copy with LF line ends, written
   chunk by chunk; an irregular line end met on the way makes the stream go on from that copy;
5. the checks are SQL aggregates over the narrow table; a failing blocking check makes the file
   ``inutilisable`` in its file-level row.

Personal data: ``CompAuxLib`` (names of residents, employees) is dropped; ``CompAuxNum`` is kept as a
keyed hash (``comp_aux_key``).
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import shutil
import tempfile
import threading
import unicodedata
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import SourceFileError
from pipelines.readers.base import BATCH_ROWS, RawRows, ReadContext, Reject

KIND = "fec"
SUFFIXES = (".txt", ".csv")
AUX_DOMAIN = "fec_compte_auxiliaire"

BLOCKING = "bloquant"
WARNING = "avertissement"
USABLE = "utilisable"
UNUSABLE = "inutilisable"

MAX_ROWS_PER_CHECK = 100  # detailed rows kept per check; one more row counts the rest
MAX_LINES_LISTED = 20  # line numbers listed in one message
CHUNK_BYTES = 1 << 22
MAX_LINE_BYTES = 1 << 20
CSV_BUFFER_BYTES = 1 << 25  # DuckDB's default; at least MAX_LINE_BYTES
DUCKDB_THREADS = 1
STREAM_ROWS = 4 * BATCH_ROWS  # fewer, larger inserts into the checked table: a fixed cost per insert

# The 18 columns of A47 A-1, in the norm's order: (name in the norm, column key).
NORM_COLUMNS = (
    ("JournalCode", "journal_code"), ("JournalLib", "journal_lib"), ("EcritureNum", "ecriture_num"),
    ("EcritureDate", "ecriture_date"), ("CompteNum", "compte_num"), ("CompteLib", "compte_lib"),
    ("CompAuxNum", "comp_aux_num"), ("CompAuxLib", "comp_aux_lib"), ("PieceRef", "piece_ref"),
    ("PieceDate", "piece_date"), ("EcritureLib", "ecriture_lib"), ("Debit", "debit"), ("Credit", "credit"),
    ("EcritureLet", "ecriture_let"), ("DateLet", "date_let"), ("ValidDate", "valid_date"),
    ("Montantdevise", "montant_devise"), ("Idevise", "idevise"),
)
MONTANT_SENS_COLUMNS = (("Montant", "montant"), ("Sens", "sens"))
HEADER_ALIASES = {"ecrturelet": "ecriturelet"}  # a typo seen in real exports
DEBIT_CREDIT = "debit_credit"
MONTANT_SENS = "montant_sens"
SEPARATOR_NAMES = {"\t": "tabulation", "|": "barre verticale"}
SENS_DEBIT = ("D", "DEBIT", "+1", "1")
SENS_CREDIT = ("C", "CREDIT", "-1")
DATE_KEYS = ("ecriture_date", "piece_date", "date_let", "valid_date")
TEXT_KEYS = ("journal_code", "journal_lib", "ecriture_num", "compte_num", "compte_lib", "comp_aux_num",
             "piece_ref", "ecriture_lib", "ecriture_let", "idevise")

AMOUNT_KEYS = ("debit", "credit", "montant_devise")
# The norm's columns in its order, CompAuxNum as a keyed hash and without CompAuxLib (personal names).
LINE_COLUMNS = ("journal_code", "journal_lib", "ecriture_num", "ecriture_date", "compte_num", "compte_lib",
                "comp_aux_key", "piece_ref", "piece_date", "ecriture_lib", "debit", "credit", "ecriture_let",
                "date_let", "valid_date", "montant_devise", "idevise")

AMOUNT = pa.decimal128(18, 2)
LINES_SCHEMA = pa.schema(
    [("_line", pa.int32())]
    + [(key, pa.date32() if key in DATE_KEYS else AMOUNT if key in AMOUNT_KEYS else pa.string()) for key in LINE_COLUMNS]
)
FILES_SCHEMA = pa.schema(
    [("_line", pa.int32())]
    + [(name, pa.string()) for name in ("dossier", "file_name", "siren")]
    + [(name, pa.date32()) for name in ("closing_date", "exercise_start", "exercise_end")]
    + [(name, pa.string()) for name in (
        "separator", "encoding", "amount_layout", "decimal_separator", "amount_padding", "line_ending", "extra_columns",
    )]
    + [(name, pa.int64()) for name in ("line_count", "ecriture_count", "rejected_lines")]
    + [("total_debit", AMOUNT), ("total_credit", AMOUNT), ("status", pa.string())]
    + [("blocking_failures", pa.int32()), ("warnings", pa.int32()), ("check_summary", pa.string())]
)
CHECKS_SCHEMA = pa.schema(
    [("_line", pa.int32())]
    + [(name, pa.string()) for name in ("check_id", "severity", "journal_code", "ecriture_num", "lines", "message")]
)
TABLES = {"raw_fec_lines": LINES_SCHEMA, "raw_fec_files": FILES_SCHEMA, "raw_fec_checks": CHECKS_SCHEMA}

FILE_NAME = re.compile(r"^(?P<siren>[0-9A-Za-z]*?)FEC(?P<date>\d{8})(?P<suffix>.*)$", re.IGNORECASE)
C1_BYTES = re.compile(rb"[\x80-\x9f]")
DUCKDB_LINE = re.compile(r"on Line: (\d+)")
# A DuckDB error met while the Arrow reader pulls a batch comes out of pyarrow as an OSError.
STREAM_ERRORS = (duckdb.Error, pa.ArrowException, OSError)


# --------------------------------------------------------------------------------------------------
# File name and discovery
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FecName:
    siren: str | None  # None when the name carries no 9-digit SIREN
    closing_date: dt.date

    @property
    def exercise_start(self) -> dt.date:
        """First day of the 12-month exercise closing on ``closing_date``."""
        next_day = self.closing_date + dt.timedelta(days=1)
        try:
            return next_day.replace(year=next_day.year - 1)
        except ValueError:  # 29 February
            return next_day.replace(year=next_day.year - 1, day=28) + dt.timedelta(days=1)


def parse_file_name(path: Path) -> FecName:
    """``<SIREN>FEC<AAAAMMJJ>[suffix].txt`` → SIREN and closing date (A47 A-1 IX)."""
    match = FILE_NAME.match(Path(path).stem)
    try:
        closing = dt.datetime.strptime(match["date"], "%Y%m%d").date() if match else None
    except ValueError:
        closing = None
    if closing is None:
        raise SourceFileError(
            path,
            "nom de fichier non conforme : attendu <SIREN>FEC<AAAAMMJJ>.txt (AAAAMMJJ = date de clôture de "
            "l'exercice), par exemple 123456789FEC20231231.txt",
        )
    siren = match["siren"] if re.fullmatch(r"\d{9}", match["siren"]) else None
    return FecName(siren, closing)


def discover(folder: Path) -> list[Path]:
    """FEC files of the folder and of its dossier sub-folders; per dossier × exercise, re-deliveries last."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    candidates = [
        p for p in [*folder.glob("*"), *folder.glob("*/*")]
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
    ]
    return sorted(candidates, key=_delivery_order)


def _delivery_order(path: Path) -> tuple:
    match = FILE_NAME.match(path.stem)
    date, suffix = (match["date"], match["suffix"].lower()) if match else ("", path.stem.lower())
    return (path.parent.name, date, suffix != "", suffix, path.name)


# --------------------------------------------------------------------------------------------------
# Bytes: binary files, encoding (FI-08), line ends
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceBytes:
    encoding: str  # utf-8 | utf-8-sig | cp1252 | iso-8859-15
    line_ending: str  # CRLF | LF | CR | mixte | aucune
    readable_as_is: bool  # UTF-8 with CRLF or LF line ends: DuckDB reads the file itself


def _line_at(path: Path, offset: int) -> int:
    """Line number of a byte offset (only computed for an error message)."""
    line, done = 1, 0
    with open(path, "rb") as handle:
        while done < offset and (chunk := handle.read(min(CHUNK_BYTES, offset - done))):
            line += chunk.count(b"\n")
            done += len(chunk)
    return line


def inspect_bytes(path: Path) -> SourceBytes:
    """One fast pass: refuse empty and binary files, tell whether DuckDB may read the file as it is.

    The line ends are only sniffed on the first line: DuckDB's strict reader stops at the first irregular
    one, and the stream then goes on from a normalised copy (``ParsedFec.stream``).
    """
    if path.stat().st_size == 0:
        raise SourceFileError(path, "fichier vide : un FEC commence par la ligne des noms de colonnes", 1)
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, offset = True, 0
    with open(path, "rb") as handle:
        head = handle.read(MAX_LINE_BYTES)
        handle.seek(0)
        while chunk := handle.read(CHUNK_BYTES):
            if b"\x00" in chunk:
                raise SourceFileError(
                    path, "fichier binaire (octet nul) : ce n'est pas un FEC au format texte",
                    _line_at(path, offset + chunk.find(b"\x00")),
                )
            if utf8 and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            offset += len(chunk)
        if utf8:
            try:
                decoder.decode(b"", final=True)  # a character cut at the end of the file
            except UnicodeDecodeError:
                utf8 = False
    bom = head.startswith(codecs.BOM_UTF8)
    if not utf8 and bom:
        raise SourceFileError(path, "fichier marqué UTF-8 (BOM) mais contenant des octets invalides en UTF-8")
    end = head.find(b"\n")
    ending = ("CR" if b"\r" in head else "aucune") if end < 0 else ("CRLF" if head[end - 1: end] == b"\r" else "LF")
    if utf8 and ending != "CR":
        return SourceBytes("utf-8-sig" if bom else "utf-8", ending, True)
    return irregular_bytes(path, "utf-8-sig" if bom else "utf-8" if utf8 else None)


def irregular_bytes(path: Path, encoding: str | None) -> SourceBytes:
    """Second pass for the rare files DuckDB cannot read as they are: legacy encoding (FI-08), line-end kinds."""
    lf = cr = crlf = 0
    c1 = False
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if chunk.endswith(b"\r"):
                chunk += handle.read(1)
            lf, cr, crlf = lf + chunk.count(b"\n"), cr + chunk.count(b"\r"), crlf + chunk.count(b"\r\n")
            c1 = c1 or C1_BYTES.search(chunk) is not None
    if encoding is None:
        encoding = "cp1252" if c1 else "iso-8859-15"
    if lf and cr == crlf == lf:
        ending = "CRLF"
    elif lf and not cr:
        ending = "LF"
    else:
        ending = "CR" if cr and not lf else "mixte"
    return SourceBytes(encoding, ending, False)


def write_utf8_lf_copy(path: Path, source: SourceBytes, target: Path) -> None:
    """Transcode to UTF-8 with LF line ends, chunk by chunk; line numbers are kept (a line is an LF)."""
    decoder = codecs.getincrementaldecoder(source.encoding)()
    offset = 0
    with open(path, "rb") as handle, open(target, "wb") as out:
        while chunk := handle.read(CHUNK_BYTES):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:  # cp1252 leaves five bytes undefined
                raise SourceFileError(
                    path, f"encodage illisible : ni UTF-8 ni {source.encoding} (octet {chunk[exc.start]:#04x})",
                    _line_at(path, offset + exc.start),
                ) from None
            offset += len(chunk)
            # CR alone separates records in old Mac files; elsewhere a CR is only part of a line end.
            out.write((text.replace("\r", "\n") if source.line_ending == "CR" else text.replace("\r", "")).encode())


# --------------------------------------------------------------------------------------------------
# Header
# --------------------------------------------------------------------------------------------------


def _header_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    key = re.sub(r"[^a-z0-9]", "", plain)
    return HEADER_ALIASES.get(key, key)


def expected_columns(layout: str) -> tuple[tuple[str, str], ...]:
    if layout == DEBIT_CREDIT:
        return NORM_COLUMNS
    return NORM_COLUMNS[:11] + MONTANT_SENS_COLUMNS + NORM_COLUMNS[13:]


@dataclass(frozen=True)
class Header:
    separator: str
    positions: dict[str, int]  # column key -> 1-based field position
    field_count: int
    amount_layout: str
    extra_columns: tuple[str, ...]
    in_norm_order: bool


def parse_header(path: Path, line: str) -> Header:
    """Header line → separator and column positions; a missing column makes the file unreadable."""
    line = line.lstrip("\ufeff").rstrip("\r\n")
    if not line.strip():
        raise SourceFileError(path, "en-tête absent : la première ligne est vide (elle doit nommer les 18 colonnes)", 1)
    tabs, pipes = line.count("\t"), line.count("|")
    if not tabs and not pipes:
        raise SourceFileError(
            path,
            "en-tête absent ou séparateur inconnu : la première ligne doit donner les noms des colonnes "
            "séparés par une tabulation ou par « | »",
            1,
        )
    separator = "\t" if tabs >= pipes else "|"
    names = line.split(separator)
    while names and not names[-1].strip():  # a trailing separator
        names.pop()
    keys = [_header_key(n) for n in names]
    known = {_header_key(norm): key for norm, key in NORM_COLUMNS + MONTANT_SENS_COLUMNS}
    found = {known[k]: i for i, k in enumerate(keys, start=1) if k in known}
    montant_sens = "montant" in found and "sens" in found and "debit" not in found
    expected = expected_columns(MONTANT_SENS if montant_sens else DEBIT_CREDIT)
    missing = [norm for norm, key in expected if key not in found]
    if len(missing) == len(expected):
        raise SourceFileError(
            path,
            "en-tête absent : la première ligne doit donner les noms des 18 colonnes du FEC "
            f"({', '.join(n for n, _ in NORM_COLUMNS)})",
            1,
        )
    duplicates = sorted({names[i].strip() for i, k in enumerate(keys) if k in known and keys.count(k) > 1})
    if duplicates:
        raise SourceFileError(path, f"colonne(s) en double dans l'en-tête : {', '.join(duplicates)}", 1)
    if missing:
        raise SourceFileError(
            path,
            f"colonne(s) obligatoire(s) absente(s) de l'en-tête : {', '.join(missing)} "
            f"({len(names)} colonnes trouvées ; les 18 colonnes de l'article A47 A-1 sont attendues)",
            1,
        )
    positions = {key: found[key] for _, key in expected}
    extras = tuple(name.strip() for i, name in enumerate(names, start=1) if i not in positions.values())
    in_order = list(positions.values()) == list(range(1, len(expected) + 1))
    layout = MONTANT_SENS if montant_sens else DEBIT_CREDIT
    return Header(separator, positions, len(names), layout, extras, in_order)


# --------------------------------------------------------------------------------------------------
# SQL: one typed row per physical line
# --------------------------------------------------------------------------------------------------


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parse_sql(header: Header, new_line: str) -> str:
    """One typed row per physical line after the header, in file order (blank lines included as NULL rows).

    Per-field expressions dominate the cost on a large file, so each field gets as few as possible: the
    spaces around separators are removed once per padded line (rare), empty text becomes NULL only in
    the text columns, and a cast is only tried on a non-empty value (a failing cast is slow).
    """
    pos, count, sep = header.positions, header.field_count, header.separator
    montant_sens = header.amount_layout == MONTANT_SENS
    amount_keys = ("montant",) if montant_sens else ("debit", "credit")

    def filled(key: str) -> str:
        return f"coalesce({key}_raw, '') <> ''"

    def amount(key: str) -> str:
        return f"case when {filled(key)} then try_cast(replace({key}_raw, ',', '.') as decimal(18,2)) end"

    def bad_amount(name: str, key: str) -> str:
        return (f"when {filled(key)} and {key}_value is null then format('{name} « {{}} » n''est pas un montant "
                f"(attendu par exemple 1234,56)', {key}_raw)")

    if montant_sens:
        sens = "upper(strip_accents(coalesce(sens_raw, '')))"
        is_debit = f"{sens} in ({', '.join(map(_sql_string, SENS_DEBIT))})"
        is_credit = f"{sens} in ({', '.join(map(_sql_string, SENS_CREDIT))})"
        amounts = f"""case when {is_debit} then coalesce(montant_value, 0) else 0 end::decimal(18,2) as debit,
            case when {is_credit} then coalesce(montant_value, 0) else 0 end::decimal(18,2) as credit,"""
        amount_reasons = f"""{bad_amount("Montant", "montant")}
                when not ({is_debit} or {is_credit}) and coalesce(montant_value, 0) <> 0
                    then format('Sens « {{}} » invalide (attendu D ou C)', coalesce(sens_raw, ''))"""
    else:
        amounts = "coalesce(debit_value, 0) as debit, coalesce(credit_value, 0) as credit,"
        amount_reasons = f"{bad_amount('Debit', 'debit')}\n                {bad_amount('Credit', 'credit')}"
    return f"""
        with source_lines as (
            select
                l as raw_line,
                contains(l, {_sql_string(' ' + sep)}) or contains(l, {_sql_string(sep + ' ')})
                    or starts_with(l, ' ') or ends_with(l, ' ') as padded
            from read_csv($path, columns = {{'l': 'VARCHAR'}}, delim = '\\0', header = false, quote = '',
                          escape = '', comment = '', auto_detect = false, new_line = {_sql_string(new_line)},
                          skip = 1, max_line_size = {MAX_LINE_BYTES}, buffer_size = {CSV_BUFFER_BYTES})
        ), split as (
            select
                raw_line, padded,
                string_split(
                    case when padded
                         then trim(regexp_replace(raw_line, {_sql_string(' *' + re.escape(sep) + ' *')},
                                                  {_sql_string(sep)}, 'g'))
                         else raw_line end,
                    {_sql_string(sep)}) as f
            from source_lines
        ), fields as (
            select
                raw_line, padded, len(f) as field_count,
                case when len(f) > {count} then len(list_filter(f[{count + 1}:], lambda x: x <> '')) > 0
                     else false end as has_extra_values,
                {", ".join(f"f[{i}] as {key}_raw" for key, i in pos.items() if key != "comp_aux_lib")}
            from split
        ), typed as (
            select
                *,
                {", ".join(f"case when length({k}_raw) = 8 then try_strptime({k}_raw, '%Y%m%d')::date end as {k}"
                           for k in DATE_KEYS)},
                {", ".join(f"{amount(k)} as {k}_value" for k in (*amount_keys, "montant_devise"))}
            from fields
        )
        select
            raw_line is null as is_blank,
            upper(nullif(journal_code_raw, '')) as journal_code,
            {", ".join(f"nullif({k}_raw, '') as {k}" for k in TEXT_KEYS if k != "journal_code")},
            {", ".join(DATE_KEYS)},
            {amounts}
            montant_devise_value as montant_devise,
            {", ".join(f"{filled(k)} and {k} is null as bad_{k}" for k in DATE_KEYS[1:])},
            {filled("montant_devise")} and montant_devise_value is null as bad_montant_devise,
            coalesce({" or ".join(f"starts_with({k}_raw, '00')" for k in amount_keys)}, false) as zero_padded,
            coalesce(padded, false) as padded,
            coalesce({" or ".join(f"contains({k}_raw, '.')" for k in amount_keys)}, false) as decimal_point,
            case
                when raw_line is null then null
                when field_count < {count}
                    then format('{{}} champ(s) au lieu de {count} (séparateur {SEPARATOR_NAMES[sep]}) : '
                                || 'colonne(s) manquante(s) en fin de ligne', field_count)
                when has_extra_values
                    then format('{{}} champs au lieu de {count} : valeurs en trop après la dernière colonne',
                                field_count)
                when not {filled("ecriture_date")}
                    then 'EcritureDate vide : la date de comptabilisation est obligatoire'
                when ecriture_date is null
                    then format('EcritureDate « {{}} » invalide (date attendue au format AAAAMMJJ)', ecriture_date_raw)
                {amount_reasons}
            end as reason,
            -- the excerpt of a rejected line leaves out every label (they may hold personal names)
            case when reason is not null then left(concat_ws(' | ', {", ".join(
                f"{k}_raw" for k in ("journal_code", "ecriture_num", "ecriture_date", "compte_num", *amount_keys)
            )}), 300) end as excerpt
        from typed
    """


# What the checks need of each good line, kept in a narrow DuckDB table while the lines stream out.
MANDATORY_ZONES = (
    ("JournalLib", "journal_lib"), ("CompteLib", "compte_lib"), ("PieceRef", "piece_ref"),
    ("PieceDate", "piece_date"), ("EcritureLib", "ecriture_lib"), ("ValidDate", "valid_date"),
)
SECONDARY_VALUES = (
    ("PieceDate", "piece_date"), ("DateLet", "date_let"), ("ValidDate", "valid_date"),
    ("Montantdevise", "montant_devise"),
)
CHECKED_SELECT = f"""
    select
        _line as line, journal_code, ecriture_num, ecriture_date, compte_num, debit, credit,
        coalesce(regexp_matches(compte_num, '^[1-8][0-9][0-9]'), false) as account_ok,
        valid_date < ecriture_date as validated_before,
        {", ".join(f"{key} is null" + (f" and not bad_{key}" if key in DATE_KEYS else "") + f" as empty_{key}"
                   for _, key in MANDATORY_ZONES)},
        {", ".join(f"bad_{key}" for _, key in SECONDARY_VALUES)},
        decimal_point, zero_padded, padded
    from incoming
"""
ECRITURES_SQL = """
    create temp table ecritures as
    select
        journal_code, ecriture_num, min(line) as first_line, count(*) as line_count,
        sum(debit) as debit, sum(credit) as credit, min(ecriture_date) as date_min, max(ecriture_date) as date_max,
        bool_or(not account_ok) as has_bad_account, min(compte_num) filter (where not account_ok) as bad_account,
        bool_or(validated_before) as validated_before
    from checked
    group by journal_code, ecriture_num
"""


# --------------------------------------------------------------------------------------------------
# Check results and French formatting
# --------------------------------------------------------------------------------------------------


@dataclass
class CheckFailure:
    check_id: str
    severity: str
    message: str
    journal_code: str | None = None
    ecriture_num: str | None = None
    line: int | None = None
    lines: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return {
            "check_id": self.check_id, "severity": self.severity, "journal_code": self.journal_code,
            "ecriture_num": self.ecriture_num, "line": self.line, "lines": list(self.lines), "message": self.message,
        }


def fr_amount(value: Decimal | float | int | None) -> str:
    """1234567.8 → '1 234 567,80' (narrow no-break space between thousands)."""
    return f"{Decimal(value or 0):,.2f}".replace(",", "\u202f").replace(".", ",")


def fr_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "?"


def _lines_text(lines: list[int], total: int) -> str:
    shown = ", ".join(str(n) for n in lines)
    return f"ligne{'s' if total > 1 else ''} {shown}{' …' if total > len(lines) else ''}"


def summary_text(failures: list[CheckFailure]) -> str:
    """'2 contrôle(s) bloquant(s) en échec : … ; 1 avertissement(s) : …' or 'tous les contrôles sont passés'."""
    parts = []
    for severity, label in ((BLOCKING, "contrôle(s) bloquant(s) en échec"), (WARNING, "avertissement(s)")):
        counts: dict[str, int] = {}
        for failure in failures:
            if failure.severity == severity:
                counts[failure.check_id] = counts.get(failure.check_id, 0) + 1
        if counts:
            parts.append(f"{len(counts)} {label} : " + ", ".join(f"{check} ({n})" for check, n in counts.items()))
    return " ; ".join(parts) or "tous les contrôles sont passés"


def status_of(failures: list[CheckFailure]) -> str:
    return UNUSABLE if any(f.severity == BLOCKING for f in failures) else USABLE


# --------------------------------------------------------------------------------------------------
# The parsed file
# --------------------------------------------------------------------------------------------------


@dataclass
class Variant:
    separator: str
    encoding: str
    amount_layout: str
    decimal_separator: str  # virgule | point (at least one amount written with a point)
    amount_padding: str  # aucun | zeros (amounts) | espaces (fields)
    line_ending: str
    extra_columns: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        layout = "colonnes Debit et Credit" if self.amount_layout == DEBIT_CREDIT else "colonnes Montant et Sens"
        padding = {"zeros": ", montants complétés par des zéros", "espaces": ", zones complétées par des espaces"}
        extra = f", colonnes en plus : {', '.join(self.extra_columns)}" if self.extra_columns else ""
        return (
            f"séparateur {SEPARATOR_NAMES[self.separator]}, encodage {self.encoding}, {layout}, décimale "
            f"{self.decimal_separator}{padding.get(self.amount_padding, '')}, fins de ligne {self.line_ending}{extra}"
        )


class ScratchDatabase:
    """The throwaway DuckDB database of the checks, kept open from one file to the next (one per thread and
    memory limit): creating its file and closing it cost ~20 ms per file, more than checking a small FEC.

    A database file in its own temporary folder, not ":memory:", for the temporary tables of the checked
    lines: beyond memory_limit their blocks go to the spill folder (the tables of an in-memory database
    cannot), without the write-ahead log of a persistent table. Measured: about 330 MB above the
    interpreter for 1 or 3 million lines. After a file its temporary tables are dropped; after a file whose
    reading stopped on an error it is closed, as it is when its thread ends or the interpreter exits
    (its folder removed then).
    """

    _idle = threading.local()  # per thread: memory limit → the database waiting for the next file

    def __init__(self, memory_limit: str):
        self.memory_limit = memory_limit
        folder = Path(tempfile.mkdtemp(prefix="tdbms_fec_db_"))
        try:
            self.con = duckdb.connect(str(folder / "checks.duckdb"), config={
                "memory_limit": memory_limit, "temp_directory": str(folder / "spill"),
                "preserve_insertion_order": True,  # lines come out in file order: their number is their rank
                # The loader writes each batch into the warehouse while the next one is parsed: one thread
                # here measured faster (wall and CPU) than two on a 2-core worker.
                "threads": DUCKDB_THREADS,
            })
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.close = weakref.finalize(self, _close_scratch, self.con, folder)

    @classmethod
    def acquire(cls, memory_limit: str) -> ScratchDatabase:
        idle = cls._idle.__dict__.setdefault("databases", {})
        return idle.pop(memory_limit, None) or cls(memory_limit)

    def release(self, failed: bool) -> None:
        """Back to its thread's idle slot, emptied; closed instead after a failure or when the slot is taken."""
        idle = self._idle.__dict__.setdefault("databases", {})
        if failed or self.memory_limit in idle:
            self.close()
            return
        try:
            temporary = self.con.execute("select table_name from duckdb_tables() where temporary").fetchall()
            for (name,) in temporary:
                self.con.execute(f'drop table temp."{name}"')
        except duckdb.Error:
            self.close()
            return
        idle[self.memory_limit] = self


def _close_scratch(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    con.close()
    shutil.rmtree(folder, ignore_errors=True)


class ParsedFec:
    """One FEC streamed through DuckDB: good lines and rejects come out of ``stream()``, then the checks.

    Use as a context manager: the temporary folder (UTF-8 copy) is removed on exit, the scratch database
    emptied for the next file. What the checks need of each line is kept in a narrow temporary table of a
    throwaway DuckDB database (ScratchDatabase) whose memory is capped (it spills to its temporary folder),
    so memory stays flat whatever the size.
    """

    def __init__(self, path: Path, memory_limit: str = "128MB"):
        self.path = Path(path)
        self.name = parse_file_name(self.path)
        self.memory_limit = memory_limit
        self.line_count = self.rejected_count = 0
        self.first_rejected_line: int | None = None
        self._tmp: Path | None = None
        self._stats: tuple | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self._scratch: ScratchDatabase | None = None

    def __enter__(self) -> ParsedFec:
        try:
            self.source = inspect_bytes(self.path)
            readable = self.path if self.source.readable_as_is else self._utf8_lf_copy()
            self.header = parse_header(self.path, _first_line_bytes(readable).decode("utf-8-sig"))
            self._scratch = ScratchDatabase.acquire(self.memory_limit)
            self.con = self._scratch.con
        except BaseException as exc:
            self.__exit__(type(exc))
            raise
        return self

    def _utf8_lf_copy(self) -> Path:
        if self._tmp is None:  # made only when a copy is needed: most files are read as they are
            self._tmp = Path(tempfile.mkdtemp(prefix="tdbms_fec_"))
        copy = self._tmp / "fec_utf8_lf.txt"
        write_utf8_lf_copy(self.path, self.source, copy)
        return copy

    def __exit__(self, exc_type=None, *exc_info) -> None:
        if self.con is not None:
            self._scratch.release(failed=exc_type is not None)
            self.con = self._scratch = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # -- streaming ----------------------------------------------------------------------------------

    def stream(self) -> Iterator[pa.RecordBatch | Reject]:
        """Good lines as Arrow batches (``_line`` + the line columns with ``comp_aux_num``) and rejects.

        A UTF-8 file is read as it is; if DuckDB meets an irregular line end on the way, the stream goes
        on from a UTF-8/LF copy after the last line already given (lines keep their numbers: a line is an LF).
        """
        self._done = 1  # last line handled (the header)
        if self.source.readable_as_is:
            try:
                yield from self._stream_lines(self.path, r"\r\n" if self.source.line_ending == "CRLF" else r"\n")
            except STREAM_ERRORS:
                self.source = irregular_bytes(self.path, self.source.encoding)
                yield from self._stream_lines(self._utf8_lf_copy(), r"\n", last_attempt=True)
        else:
            yield from self._stream_lines(self._tmp / "fec_utf8_lf.txt", r"\n", last_attempt=True)
        self.con.execute(ECRITURES_SQL)
        self._stats = self.con.execute(
            """
            select (select count(*) from ecritures), coalesce(sum(debit), 0), coalesce(sum(credit), 0),
                   count(*) filter (where decimal_point), coalesce(bool_or(zero_padded), false),
                   coalesce(bool_or(padded), false)
            from checked
            """
        ).fetchone()

    def _stream_lines(self, readable: Path, new_line: str, last_attempt: bool = False) -> Iterator:
        cursor = self.con.cursor()  # the stream's own cursor: checked lines are inserted meanwhile
        line = 2
        try:
            query = cursor.execute(parse_sql(self.header, new_line), {"path": str(readable)})
            reader = query.to_arrow_reader(STREAM_ROWS)
            self._create_checked_table(reader.schema)
            for batch in reader:
                first, line = line, line + batch.num_rows
                if line - 1 <= self._done:
                    continue
                if first <= self._done:  # resuming: skip the lines given before
                    batch, first = batch.slice(self._done + 1 - first), self._done + 1
                yield from self._split(batch.add_column(0, "_line", pa.array(range(first, line), pa.int32())))
                self._done = line - 1
        except STREAM_ERRORS as exc:
            if not last_attempt:
                raise
            raise self._unreadable(str(exc), self._done + 1) from None
        finally:
            cursor.close()

    def consume(self) -> ParsedFec:
        """Read the whole file without keeping its lines (``inspect fec``)."""
        for _ in self.stream():
            pass
        return self

    def _create_checked_table(self, schema: pa.Schema) -> None:
        empty = pa.schema([pa.field("_line", pa.int32()), *schema]).empty_table()
        self.con.register("incoming", empty)
        self.con.execute(f"create temp table if not exists checked as {CHECKED_SELECT}")
        self.con.unregister("incoming")

    def _split(self, batch: pa.RecordBatch) -> Iterator[pa.RecordBatch | Reject]:
        reason, blank = batch.column("reason"), batch.column("is_blank")
        blanks = pc.sum(blank).as_py() or 0
        self.line_count += batch.num_rows - blanks
        if reason.null_count < batch.num_rows:
            rejected = batch.filter(pc.is_valid(reason))
            self.rejected_count += rejected.num_rows
            if self.first_rejected_line is None:
                self.first_rejected_line = rejected.column("_line")[0].as_py()
            columns = (rejected.column(name).to_pylist() for name in ("_line", "reason", "excerpt"))
            yield from (Reject(line, why, excerpt) for line, why, excerpt in zip(*columns, strict=True))
            batch = batch.filter(pc.and_(pc.invert(blank), pc.is_null(reason)))
        elif blanks:
            batch = batch.filter(pc.invert(blank))
        if batch.num_rows:
            self.con.register("incoming", batch)
            self.con.execute(f"insert into checked {CHECKED_SELECT}")
            self.con.unregister("incoming")
            yield batch

    def _unreadable(self, message: str, next_line: int) -> SourceFileError:
        at = DUCKDB_LINE.search(message)
        detail = "ligne trop longue" if "line size" in message.lower() else message.strip().splitlines()[0]
        return SourceFileError(self.path, f"structure illisible ({detail})", int(at[1]) if at else next_line)

    # -- facts (after the stream) -------------------------------------------------------------------

    def _after_stream(self) -> tuple:
        if self._stats is None:
            raise RuntimeError("ParsedFec: read the stream to its end before asking for totals or checks")
        return self._stats

    @property
    def dossier(self) -> str:
        return self.path.parent.name

    @property
    def ecriture_count(self) -> int:
        return self._after_stream()[0]

    @property
    def total_debit(self) -> Decimal:
        return self._after_stream()[1]

    @property
    def total_credit(self) -> Decimal:
        return self._after_stream()[2]

    @property
    def variant(self) -> Variant:
        points, zeros, spaces = self._after_stream()[3:6]
        return Variant(
            self.header.separator, self.source.encoding, self.header.amount_layout,
            "point" if points else "virgule", "zeros" if zeros else ("espaces" if spaces else "aucun"),
            self.source.line_ending, self.header.extra_columns,
        )

    def class_balance(self) -> list[dict]:
        """Debit, credit and balance (debit − credit) per account class (first character of CompteNum)."""
        rows = self.con.execute(
            "select coalesce(left(compte_num, 1), '?'), sum(debit), sum(credit), sum(debit - credit) "
            "from checked group by 1 order by 1"
        ).fetchall()
        return [{"class": c, "debit": d, "credit": cr, "balance": b} for c, d, cr, b in rows]

    # -- checks -------------------------------------------------------------------------------------

    def checks(self) -> list[CheckFailure]:
        """Every failed check, blocking ones first (spec §2.4 (a)–(h), FI-08, FI-09)."""
        self._after_stream()
        start, end = self.name.exercise_start, self.name.closing_date
        failures = [
            *self._file_level_blocking(),
            *self._per_ecriture(
                "ecriture_desequilibree", BLOCKING, "debit <> credit",
                lambda e: f"déséquilibrée, débit {fr_amount(e['debit'])} ≠ crédit {fr_amount(e['credit'])} "
                f"(écart {fr_amount(e['debit'] - e['credit'])})",
            ),
            *self._per_ecriture(
                "date_hors_exercice", BLOCKING, f"date_min < DATE '{start}' or date_max > DATE '{end}'",
                lambda e: f"datée du {fr_date(e['date_min'] if e['date_min'] < start else e['date_max'])}, hors de "
                f"l'exercice du {fr_date(start)} au {fr_date(end)} (date de clôture du nom du fichier)",
            ),
            *self._per_ecriture(
                "compte_invalide", BLOCKING, "has_bad_account",
                lambda e: "numéro de compte (CompteNum) absent" if e["bad_account"] is None else
                f"numéro de compte « {e['bad_account']} » invalide : ses 3 premiers caractères doivent être des "
                "chiffres du plan comptable (classes 1 à 8)",
            ),
            *self._per_ecriture(
                "ecriture_non_identifiee", BLOCKING, "journal_code is null or ecriture_num is null",
                lambda e: "JournalCode ou EcritureNum vide : l'écriture ne peut être ni identifiée ni équilibrée",
            ),
            *self._numbering_gaps(),
            *self._per_ecriture(
                "validation_avant_ecriture", WARNING, "validated_before",
                lambda e: "ValidDate antérieure à EcritureDate (validée avant d'être comptabilisée)",
            ),
            *self._column_problems(
                "zone_obligatoire_vide", {name: f"empty_{key}" for name, key in MANDATORY_ZONES},
                "{name} vide sur {count} ligne(s) alors que la zone est obligatoire",
            ),
            *self._column_problems(
                "valeur_invalide", {name: f"bad_{key}" for name, key in SECONDARY_VALUES},
                "{name} illisible sur {count} ligne(s) (date AAAAMMJJ ou montant attendu) : valeur ignorée",
            ),
            *self._file_level_warnings(),
        ]
        return sorted(failures, key=lambda f: f.severity != BLOCKING)

    def _dicts(self, sql: str) -> list[dict]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @staticmethod
    def _more(check_id: str, severity: str, rows: list[dict], what: str) -> list[CheckFailure]:
        total = rows[0]["total"] if rows else 0
        return [CheckFailure(check_id, severity, f"… et {total - len(rows)} autres {what}")] if total > len(rows) else []

    def _file_level_blocking(self) -> Iterator[CheckFailure]:
        if self.rejected_count:
            yield CheckFailure(
                "lignes_rejetees", BLOCKING,
                f"{self.rejected_count} ligne(s) rejetée(s) (première : ligne {self.first_rejected_line}, détail "
                "dans les rejets) : les totaux du fichier sont incomplets", line=self.first_rejected_line,
            )
        if not self.line_count:
            yield CheckFailure("aucune_ecriture", BLOCKING, "le fichier ne contient aucune ligne d'écriture", line=1)
        if self.total_debit != self.total_credit:
            yield CheckFailure(
                "desequilibre_global", BLOCKING,
                f"total des débits {fr_amount(self.total_debit)} ≠ total des crédits {fr_amount(self.total_credit)} "
                f"(écart {fr_amount(self.total_debit - self.total_credit)})",
            )

    def _per_ecriture(self, check_id: str, severity: str, condition: str, describe) -> list[CheckFailure]:
        """One failure per écriture matching ``condition`` (SQL over ``ecritures``), the first ones by line."""
        failing = f"select * from ecritures where {condition} order by first_line limit {MAX_ROWS_PER_CHECK}"
        rows = self._dicts(f"select *, count(*) over () as total from ecritures where {condition} "
                           f"order by first_line limit {MAX_ROWS_PER_CHECK}")
        if not rows:
            return []
        listed = {  # line lists only for the few failing écritures: one list per écriture costs on a big file
            (journal, number): lines for journal, number, lines in self.con.execute(
                f"""
                select checked.journal_code, checked.ecriture_num, min(checked.line, {MAX_LINES_LISTED})
                from checked join ({failing}) as failing
                  on checked.journal_code is not distinct from failing.journal_code
                 and checked.ecriture_num is not distinct from failing.ecriture_num
                group by all
                """
            ).fetchall()
        }
        failures = []
        for e in rows:
            lines = listed[(e["journal_code"], e["ecriture_num"])]
            failures.append(CheckFailure(
                check_id, severity,
                f"écriture {e['journal_code'] or '?'} n° {e['ecriture_num'] or '?'} "
                f"({_lines_text(lines, e['line_count'])}) : {describe(e)}",
                e["journal_code"], e["ecriture_num"], e["first_line"], tuple(lines),
            ))
        return failures + self._more(check_id, severity, rows, "écritures dans le même cas")

    def _numbering_gaps(self) -> list[CheckFailure]:
        """FI-09: continuity per number prefix (the journal when numbers carry one, else the whole file)."""
        self.con.execute(
            """
            create or replace temp table numbers as
            select
                case when try_cast(ecriture_num as bigint) is null
                     then regexp_extract(ecriture_num, '^(.*?)[0-9]+$', 1) else '' end as prefix,
                coalesce(try_cast(ecriture_num as bigint),
                         try_cast(regexp_extract(ecriture_num, '([0-9]+)$', 1) as bigint)) as n,
                ecriture_num, journal_code, first_line
            from ecritures
            """
        )
        continuous = self.con.execute(
            "select coalesce(bool_and(n_distinct = n_max - n_min + 1), true) from "
            "(select count(distinct n) as n_distinct, max(n) as n_max, min(n) as n_min from numbers group by prefix)"
        ).fetchone()[0]
        if continuous:
            return []
        rows = self._dicts(
            f"""
            with gaps as (
                select *, lag(n) over (partition by prefix order by n, first_line) as previous
                from numbers where n is not null
            )
            select *, count(*) over () as total from gaps where n - previous > 1
            order by first_line limit {MAX_ROWS_PER_CHECK}
            """
        )
        failures = []
        for g in rows:
            previous, n = g["previous"], g["n"]
            missing = f"n° {previous + 1}" if n - previous == 2 else f"n° {previous + 1} à {n - 1}"
            scope = f" des numéros « {g['prefix']}… »" if g["prefix"] else ""
            failures.append(CheckFailure(
                "numerotation_discontinue", WARNING,
                f"numérotation discontinue{scope} : {missing} absent(s) entre {previous} et {n}, avant l'écriture "
                f"{g['journal_code'] or '?'} n° {g['ecriture_num']} (ligne {g['first_line']})",
                g["journal_code"], g["ecriture_num"], g["first_line"], (g["first_line"],),
            ))
        return failures + self._more("numerotation_discontinue", WARNING, rows, "trous de numérotation")

    def _column_problems(self, check_id: str, conditions: dict[str, str], template: str) -> list[CheckFailure]:
        """One warning per column whose lines match its condition: ``{name in the norm: SQL condition}``."""
        selects = ", ".join(
            f"count(*) filter (where {cond}), min(line, {MAX_LINES_LISTED}) filter (where {cond})"
            for cond in conditions.values()
        )
        row = self.con.execute(f"select {selects} from checked").fetchone()
        failures = []
        for i, name in enumerate(conditions):
            count, lines = row[2 * i], row[2 * i + 1]
            if count:
                failures.append(CheckFailure(
                    check_id, WARNING, f"{template.format(name=name, count=count)} ({_lines_text(lines, count)})",
                    line=lines[0], lines=tuple(lines),
                ))
        return failures

    def _file_level_warnings(self) -> Iterator[CheckFailure]:
        variant = self.variant
        if not self.header.in_norm_order:
            yield CheckFailure("ordre_colonnes", WARNING, "les colonnes ne sont pas dans l'ordre de l'article A47 A-1",
                               line=1)
        if variant.encoding == "cp1252":
            yield CheckFailure(
                "encodage_non_conforme", WARNING,
                "encodage Windows-1252 (cp1252) : la norme demande ASCII ou ISO-8859-15 (fichier lu quand même, FI-08)",
            )
        if variant.decimal_separator != "virgule":
            yield CheckFailure(
                "decimale_point", WARNING,
                f"montants à point décimal sur {self._stats[3]} ligne(s) : la norme demande une virgule",
            )
        if self.name.siren is None:
            yield CheckFailure(
                "siren_absent", WARNING,
                f"le nom du fichier « {self.path.name} » ne commence pas par un SIREN (9 chiffres)",
            )


def _first_line_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.readline(MAX_LINE_BYTES)


# --------------------------------------------------------------------------------------------------
# Reader contract
# --------------------------------------------------------------------------------------------------


OPENING_LABEL = r"(?i)^\s*(a|à|À)[ -]?nouveaux?\b"
OPENING_MARK = "A-NOUVEAUX"


def without_personal_labels(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Labels are free text and may name a resident or an employee: an entry's label is kept only as the
    mark of an opening entry (what the models need), and third-party accounts (class 4) lose their label."""
    names = batch.schema.names
    columns = dict(zip(names, batch.columns, strict=True))
    opening = pc.fill_null(pc.match_substring_regex(columns["ecriture_lib"], OPENING_LABEL), False)
    columns["ecriture_lib"] = pc.if_else(opening, pa.scalar(OPENING_MARK), pa.scalar(None, pa.string()))
    third_party = pc.fill_null(pc.starts_with(columns["compte_num"], "4"), False)
    columns["compte_lib"] = pc.if_else(third_party, pa.scalar(None, pa.string()), columns["compte_lib"])
    return pa.RecordBatch.from_arrays([columns[n] for n in names], names=names)


def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    with ParsedFec(Path(path)) as fec:
        for item in fec.stream():
            if isinstance(item, Reject):
                yield item
                continue
            item = without_personal_labels(item)
            aux_key = context.pseudonymiser.keys(item.column("comp_aux_num"), AUX_DOMAIN)
            columns = [aux_key if name == "comp_aux_key" else item.column(name)
                       for name in LINES_SCHEMA.names]
            yield RawRows("raw_fec_lines", pa.RecordBatch.from_arrays(columns, schema=LINES_SCHEMA))
        failures = fec.checks()
        yield RawRows("raw_fec_files", pa.RecordBatch.from_pylist([file_row(fec, failures)], schema=FILES_SCHEMA))
        if failures:
            rows = [
                {"_line": f.line, "check_id": f.check_id, "severity": f.severity, "journal_code": f.journal_code,
                 "ecriture_num": f.ecriture_num, "lines": ", ".join(map(str, f.lines)) or None, "message": f.message}
                for f in failures
            ]
            yield RawRows("raw_fec_checks", pa.RecordBatch.from_pylist(rows, schema=CHECKS_SCHEMA))


def file_row(fec: ParsedFec, failures: list[CheckFailure]) -> dict:
    """The file-level row: what identifies the delivery, its physical variant, totals and status."""
    variant = fec.variant
    return {
        "_line": 1,
        "dossier": fec.dossier,
        "file_name": fec.path.name,
        "siren": fec.name.siren,
        "closing_date": fec.name.closing_date,
        "exercise_start": fec.name.exercise_start,
        "exercise_end": fec.name.closing_date,
        "separator": SEPARATOR_NAMES[variant.separator],
        "encoding": variant.encoding,
        "amount_layout": variant.amount_layout,
        "decimal_separator": variant.decimal_separator,
        "amount_padding": variant.amount_padding,
        "line_ending": variant.line_ending,
        "extra_columns": ", ".join(variant.extra_columns) or None,
        "line_count": fec.line_count,
        "ecriture_count": fec.ecriture_count,
        "rejected_lines": fec.rejected_count,
        "total_debit": fec.total_debit,
        "total_credit": fec.total_credit,
        "status": status_of(failures),
        "blocking_failures": sum(f.severity == BLOCKING for f in failures),
        "warnings": sum(f.severity == WARNING for f in failures),
        "check_summary": summary_text(failures),
    }
