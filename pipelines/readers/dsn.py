"""DSN (Déclaration Sociale Nominative, norme NEODeS): monthly payroll declarations, one file per envoi.

Grammar (spec hr_finance_standards §1.2): one rubric per line, ``S21.G00.30.001,'value'``; the value is
everything after the first ``,`` with one enclosing pair of quotes removed (apostrophes inside are not
escaped; unquoted values are accepted). CRLF or LF, stray CR and trailing blanks tolerated, blank lines
ignored. UTF-8, else Windows-1252 (a superset of ISO-8859-1's printable characters). The flat file is
rebuilt into a tree (§1.3): a block instance starts when the block changes or its rubric number does not
increase; each instance hangs on the most recent preceding instance of its parent type (declaration
S20.G00.05 → entreprise S21.G00.06 → établissement S21.G00.11 → individu S21.G00.30 → contrat S21.G00.40).

The parsing is vectorised, with no Python loop over lines: lines are split and their fixed-width rubric
prefix decoded with numpy over 8 MiB chunks (the tree's state carried across chunks); unmodelled rubrics
stream out as Arrow batches at once; the rows of the modelled blocks are kept (memory grows with them
only) and pivoted at the end into one row per block instance, typed per kind and joined to their parents
with numpy and Arrow compute. ``read_many`` reads a group of (small, monthly) files in one such pass: their
lines are numbered by one count running across the files, the tree is cut at each file's start, and every
line number is given back relative to its own file, so that the group loads exactly what each file
would load alone; ``read`` is that pass over one file.

Raw tables (every row: ``_line`` = line of the row's first rubric; the loader adds ``_file_hash`` and
``_source_file``; a line number is unique within a file, so ``(_file_hash, *_line)`` are the join keys):

- ``raw_dsn_declarations``: one row per établissement of a declaration (a declaration without one gives
  one row with an empty establishment): envoi (software, norm version, S10.G00.00 / S10.G00.01), the
  declaration's identity for RH-12 (nature, type, fraction, order number, declared month, constitution
  date S20.G00.05.007), entreprise (SIREN, APEN, IDCC), établissement (NIC, ``siret``, APET, IDCC) and the
  S90 totals next to the counts found in the file (``file_line_count``, ``file_declaration_count``).
  Re-delivered months are NOT resolved here: a dbt staging model keeps the latest per (SIRET, month,
  fraction).
- ``raw_dsn_individuals`` (S21.G00.30): ``individual_key`` = keyed hash of the NIR (else of the NTT, see
  ``identifier_kind``), sex, birth date (a ``00`` day or month reads 01), ``employee_number_key``
  (hashed matricule). Names, NIR, birth place and address never leave the reader.
- ``raw_dsn_contracts`` (S21.G00.40): dates, nature, statuses, PCS-ESE, job label, quotité, unit,
  reference quotité, motif de recours, workplace SIRET (.019) and FINESS géographique (.081).
- ``raw_dsn_contract_changes`` (S21.G00.41, old values), ``raw_dsn_contract_ends`` (S21.G00.62),
  ``raw_dsn_work_stoppages`` (S21.G00.60, bank details dropped), ``raw_dsn_suspensions`` (S21.G00.65): each
  with its contract (``contract_line``, ``contract_number``).
- ``raw_dsn_remunerations`` (S21.G00.51): the contract by number (.010), or the individual's sole contract.
- ``raw_dsn_other_rubrics``: every other rubric, known or not, as (``rubric``, ``value``) with its block
  instance (``block_line``) and its declaration / establishment / individual / contract lines.

Every table but declarations and other rubrics also carries ``declaration_line``, ``establishment_line``,
``siret`` and ``declared_month``; person-level tables carry ``individual_line`` and ``individual_key``.

Privacy: the contact blocks (S10.G00.02, S20.G00.07), the ayants droit (S21.G00.73), every rubric of
S21.G00.30 / S21.G00.31 but the modelled ones (and S21.G00.31.001), and the bank details of a work
stoppage are dropped by design; NIR, NTT and matricule are hashed once per distinct value.

Lines that cannot be loaded are rejected with a French reason: unreadable grammar, a block with no parent
before it ("hors de sa place"), a line of a declaration whose nature is not 01 (signalements are not
loaded; a file with no monthly declaration is refused), a value of the wrong type (the row loads with
that column empty). A file that is empty, binary, not a DSN, or cut in the middle of its last line is
refused as a whole (SourceFileError).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.errors import SourceFileError
from pipelines.readers.base import BATCH_ROWS, FILE_COLUMN, RawRows, ReadContext, Reject, with_file_index

KIND = "dsn"
SUFFIXES = (".dsn", ".txt")
CHUNK_BYTES = 8 << 20
MONTHLY_NATURE = "01"
LATIN_ENCODING = "cp1252"

NATURE_LABELS = {
    "01": "DSN mensuelle", "04": "signalement d'arrêt de travail", "05": "signalement de reprise",
    "07": "signalement de fin de contrat de travail unique", "08": "signalement amorçage",
    "09": "DSN de substitution", "10": "DPAE",
}
BLOCK_LABELS = {
    "S20.G00.05": "déclaration", "S21.G00.06": "entreprise", "S21.G00.11": "établissement",
    "S21.G00.30": "individu", "S21.G00.40": "contrat", "S21.G00.41": "changement de contrat",
    "S21.G00.50": "versement", "S21.G00.51": "rémunération", "S21.G00.60": "arrêt de travail",
    "S21.G00.62": "fin de contrat", "S21.G00.65": "suspension de contrat", "S21.G00.71": "retraite complémentaire",
    "S21.G00.78": "base assujettie", "S21.G00.81": "cotisation individuelle", "S21.G00.86": "ancienneté",
}


# --- The norm: levels of the tree, modelled rubrics, dropped rubrics -----------------------------------

def _code(block: str) -> int:
    """'S21.G00.40' → 210040 (the 6 digits of a block, as read from the line's bytes)."""
    return int(block[1:3] + block[5:7] + block[8:10])


def _block_name(code: int) -> str:
    digits = f"{code:06d}"
    return f"S{digits[:2]}.G{digits[2:4]}.{digits[4:]}"


# Levels: a block of level L needs the chain declaration < entreprise < … up to L before it.
ENVOI, DECLARATION, ENTERPRISE, ESTABLISHMENT, INDIVIDUAL, CONTRACT = range(6)
OPENING_BLOCKS = {  # the block that opens each level
    DECLARATION: "S20.G00.05", ENTERPRISE: "S21.G00.06", ESTABLISHMENT: "S21.G00.11",
    INDIVIDUAL: "S21.G00.30", CONTRACT: "S21.G00.40",
}
ENVOI_BLOCK = "S10.G00.00"
LEVEL_BLOCKS = {
    ENVOI: ["S10.G00.00", "S10.G00.01", "S10.G00.02", "S90.G00.90"],
    DECLARATION: ["S20.G00.05", "S20.G00.07", "S20.G00.08"],
    ENTERPRISE: ["S21.G00.06"],
    ESTABLISHMENT: ["S21.G00.11", "S21.G00.15", "S21.G00.16", "S21.G00.20", "S21.G00.22", "S21.G00.23",
                    "S21.G00.55", "S21.G00.82"],
    INDIVIDUAL: ["S21.G00.30", "S21.G00.31", "S21.G00.34", "S21.G00.44", "S21.G00.50", "S21.G00.51",
                 "S21.G00.52", "S21.G00.53", "S21.G00.54", "S21.G00.56", "S21.G00.58", "S21.G00.78",
                 "S21.G00.79", "S21.G00.81", "S21.G00.85", "S21.G00.86"],
    CONTRACT: ["S21.G00.40", "S21.G00.41", "S21.G00.60", "S21.G00.62", "S21.G00.63", "S21.G00.65",
               "S21.G00.66", "S21.G00.70", "S21.G00.71", "S21.G00.72", "S21.G00.73"],
}
MISSING_PARENT = {
    DECLARATION: "aucune déclaration (bloc S20.G00.05) ne le précède",
    ENTERPRISE: "aucune entreprise (bloc S21.G00.06) ne le précède dans sa déclaration",
    ESTABLISHMENT: "aucun établissement (bloc S21.G00.11) ne le précède dans sa déclaration",
    INDIVIDUAL: "aucun individu (bloc S21.G00.30) ne le précède dans son établissement",
    CONTRACT: "aucun contrat (bloc S21.G00.40) de cet individu ne le précède",
}

ARROW_TYPES = {
    "text": pa.string(), "key": pa.string(), "date": pa.date32(), "birth_date": pa.date32(),
    "number": pa.float64(), "amount": pa.decimal128(18, 2), "count": pa.int32(),
}
KIND_LABELS = {
    "date": "une date JJMMAAAA", "birth_date": "une date JJMMAAAA", "number": "un nombre (ex. 151.67)",
    "amount": "un montant (ex. -12.50)", "count": "un nombre entier",
}


@dataclass(frozen=True)
class Column:
    rubric: str  # 'S21.G00.40.001'
    name: str
    kind: str = "text"  # a key of ARROW_TYPES; 'key' = hashed here (see HASH_DOMAINS)

    @property
    def block(self) -> int:
        return _code(self.rubric[:10])

    @property
    def number(self) -> int:
        return int(self.rubric[11:])


def _columns(block: str, *specs: tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(f"{block}.{spec[0]}", *spec[1:]) for spec in specs)


ENVOI_COLUMNS = _columns(
    "S10.G00.00", ("001", "software_name"), ("002", "software_editor"), ("003", "software_version"),
    ("005", "envoi_test_or_real"), ("006", "norm_version"), ("008", "envoi_type"),
)
ISSUER_COLUMNS = _columns("S10.G00.01", ("001", "issuer_siren"), ("002", "issuer_nic"))
DECLARATION_COLUMNS = _columns(
    "S20.G00.05", ("001", "nature"), ("002", "declaration_type"), ("003", "fraction"), ("004", "order_number"),
    ("005", "declared_month", "date"), ("007", "constitution_date", "date"), ("010", "currency"),
)
ENTERPRISE_COLUMNS = _columns(
    "S21.G00.06", ("001", "siren"), ("002", "head_office_nic"), ("003", "apen"), ("015", "enterprise_idcc"),
)
ESTABLISHMENT_COLUMNS = _columns(
    "S21.G00.11", ("001", "nic"), ("002", "apet"), ("017", "employer_legal_nature"),
    ("022", "establishment_idcc"),
)
TOTAL_COLUMNS = _columns(
    "S90.G00.90", ("001", "declared_line_total", "count"), ("002", "declared_declaration_count", "count"),
)
INDIVIDUAL_COLUMNS = _columns(
    "S21.G00.30", ("001", "nir_key", "key"), ("005", "sex"), ("006", "birth_date", "birth_date"),
    ("019", "employee_number_key", "key"), ("020", "ntt_key", "key"),
)
HASH_DOMAINS = {  # rubric → pseudonymisation domain
    "S21.G00.30.001": "employee", "S21.G00.30.020": "employee_ntt", "S21.G00.30.019": "employee_number",
}
CONTRACT_COLUMNS = _columns(
    "S21.G00.40", ("001", "start_date", "date"), ("002", "conventional_status"), ("003", "rc_category"),
    ("004", "pcs_ese"), ("005", "pcs_complement"), ("006", "job_label"), ("007", "nature"),
    ("008", "public_scheme"), ("009", "contract_number"), ("010", "planned_end_date", "date"),
    ("011", "quotite_unit"), ("012", "quotite_reference", "number"), ("013", "quotite", "number"),
    ("014", "work_time_mode"), ("017", "idcc"), ("019", "workplace_siret"), ("021", "recourse_reason"),
    ("026", "employment_status"), ("072", "boeth_status"), ("081", "finess_geo"),
)
CONTRACT_CHANGE_COLUMNS = _columns(
    "S21.G00.41", ("001", "change_date", "date"), ("004", "old_nature"), ("006", "old_quotite_unit"),
    ("007", "old_quotite", "number"), ("012", "old_establishment_siret"), ("014", "old_contract_number"),
    ("019", "old_pcs_ese"), ("022", "old_quotite_reference", "number"),
)
CONTRACT_END_COLUMNS = _columns(
    "S21.G00.62", ("001", "end_date", "date"), ("002", "end_reason"), ("003", "notification_date", "date"),
    ("004", "agreement_signature_date", "date"), ("005", "dismissal_procedure_date", "date"),
    ("006", "last_day_paid", "date"),
)
WORK_STOPPAGE_COLUMNS = _columns(
    "S21.G00.60", ("001", "reason"), ("002", "last_day_worked", "date"), ("003", "expected_end_date", "date"),
    ("004", "subrogation"), ("005", "subrogation_start_date", "date"), ("006", "subrogation_end_date", "date"),
    ("010", "resumption_date", "date"), ("011", "resumption_reason"), ("012", "accident_date", "date"),
)
SUSPENSION_COLUMNS = _columns(
    "S21.G00.65", ("001", "reason"), ("002", "start_date", "date"), ("003", "end_date", "date"),
    ("004", "detachment_position"),
)
REMUNERATION_COLUMNS = _columns(
    "S21.G00.51", ("001", "period_start", "date"), ("002", "period_end", "date"),
    ("010", "declared_contract_number"), ("011", "remuneration_type"), ("012", "hours", "number"),
    ("013", "amount", "amount"),
)
CONTRACT_CHILD_TABLES = {
    "raw_dsn_contract_changes": CONTRACT_CHANGE_COLUMNS,
    "raw_dsn_contract_ends": CONTRACT_END_COLUMNS,
    "raw_dsn_work_stoppages": WORK_STOPPAGE_COLUMNS,
    "raw_dsn_suspensions": SUSPENSION_COLUMNS,
}
MODELLED = (
    ENVOI_COLUMNS + ISSUER_COLUMNS + DECLARATION_COLUMNS + ENTERPRISE_COLUMNS + ESTABLISHMENT_COLUMNS + TOTAL_COLUMNS
    + INDIVIDUAL_COLUMNS + CONTRACT_COLUMNS + REMUNERATION_COLUMNS + sum(CONTRACT_CHILD_TABLES.values(), ())
)
DROPPED_BLOCKS = ("S10.G00.02", "S20.G00.07", "S21.G00.73", "S21.G00.30", "S21.G00.31")  # unless modelled
DROPPED_RUBRICS = ("S21.G00.60.007", "S21.G00.60.008")  # IBAN, BIC
KEPT_IN_DROPPED_BLOCKS = ("S21.G00.31.001",)  # date of an individual's change: harmless, useful

# Routing of each (block, rubric number), as dense lookup tables indexed by the decoded codes.
DROP, OTHER, MODEL = range(3)
# A known block needs its whole chain of parents and keeps it; an unknown one needs none and keeps
# whatever valid chain precedes it.
LEVEL_OF = np.full(1_000_000, CONTRACT, np.int8)
REQUIRED_LEVEL_OF = np.full(1_000_000, ENVOI, np.int8)
for _level, _blocks in LEVEL_BLOCKS.items():
    LEVEL_OF[[_code(b) for b in _blocks]] = _level
    REQUIRED_LEVEL_OF[[_code(b) for b in _blocks]] = _level
_routed_blocks = sorted({c.block for c in MODELLED} | {_code(b) for b in DROPPED_BLOCKS}
                        | {_code(r[:10]) for r in DROPPED_RUBRICS + KEPT_IN_DROPPED_BLOCKS})
ROUTE_ROW = np.full(1_000_000, len(_routed_blocks), np.int16)  # last row: blocks routed by default
ROUTE_ROW[_routed_blocks] = np.arange(len(_routed_blocks))
ROUTE = np.full((len(_routed_blocks) + 1, 1000), OTHER, np.int8)
for _block in DROPPED_BLOCKS:
    ROUTE[ROUTE_ROW[_code(_block)], :] = DROP
for _rubric in DROPPED_RUBRICS:
    ROUTE[ROUTE_ROW[_code(_rubric[:10])], int(_rubric[11:])] = DROP
for _rubric in KEPT_IN_DROPPED_BLOCKS:
    ROUTE[ROUTE_ROW[_code(_rubric[:10])], int(_rubric[11:])] = OTHER
for _column in MODELLED:
    ROUTE[ROUTE_ROW[_column.block], _column.number] = MODEL
PRIVATE_PREFIXES = tuple(b.encode() for b in DROPPED_BLOCKS + DROPPED_RUBRICS)


# --- Raw tables -----------------------------------------------------------------------------------------

def _fields(columns: tuple[Column, ...]) -> list[pa.Field]:
    return [pa.field(c.name, ARROW_TYPES[c.kind]) for c in columns]


LINE = pa.field("_line", pa.int32())
CONTEXT_FIELDS = [
    pa.field("declaration_line", pa.int32()), pa.field("establishment_line", pa.int32()),
    pa.field("siret", pa.string()), pa.field("declared_month", pa.date32()),
]
PERSON_FIELDS = [pa.field("individual_line", pa.int32()), pa.field("individual_key", pa.string())]
CONTRACT_FIELDS = [pa.field("contract_line", pa.int32()), pa.field("contract_number", pa.string())]

DECLARATIONS_SCHEMA = pa.schema(
    [LINE, pa.field("declaration_line", pa.int32()), pa.field("enterprise_line", pa.int32()),
     pa.field("establishment_line", pa.int32())]
    + _fields(ENVOI_COLUMNS + ISSUER_COLUMNS + DECLARATION_COLUMNS + ENTERPRISE_COLUMNS + ESTABLISHMENT_COLUMNS)
    + [pa.field("siret", pa.string())] + _fields(TOTAL_COLUMNS)
    + [pa.field("file_line_count", pa.int32()), pa.field("file_declaration_count", pa.int32())]
)
INDIVIDUALS_SCHEMA = pa.schema(
    [LINE, *CONTEXT_FIELDS, pa.field("individual_key", pa.string()), pa.field("identifier_kind", pa.string()),
     pa.field("sex", pa.string()), pa.field("birth_date", pa.date32()), pa.field("employee_number_key", pa.string())]
)
CONTRACTS_SCHEMA = pa.schema([LINE, *CONTEXT_FIELDS, *PERSON_FIELDS] + _fields(CONTRACT_COLUMNS))
REMUNERATIONS_SCHEMA = pa.schema(
    [LINE, *CONTEXT_FIELDS, *PERSON_FIELDS, *CONTRACT_FIELDS] + _fields(REMUNERATION_COLUMNS)
)
OTHER_RUBRICS_SCHEMA = pa.schema(
    [LINE, pa.field("declaration_line", pa.int32()), pa.field("establishment_line", pa.int32()),
     pa.field("individual_line", pa.int32()), pa.field("contract_line", pa.int32()),
     pa.field("block_line", pa.int32()), pa.field("rubric", pa.string()), pa.field("value", pa.string())]
)
TABLES: dict[str, pa.Schema] = {
    "raw_dsn_declarations": DECLARATIONS_SCHEMA,
    "raw_dsn_individuals": INDIVIDUALS_SCHEMA,
    "raw_dsn_contracts": CONTRACTS_SCHEMA,
    **{name: pa.schema([LINE, *CONTEXT_FIELDS, *PERSON_FIELDS, *CONTRACT_FIELDS] + _fields(cols))
       for name, cols in CONTRACT_CHILD_TABLES.items()},
    "raw_dsn_remunerations": REMUNERATIONS_SCHEMA,
    "raw_dsn_other_rubrics": OTHER_RUBRICS_SCHEMA,
}


def discover(folder: Path) -> list[Path]:
    """The DSN files of a folder and its sub-folders (``.dsn``, ``.txt``), in path order."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
    )


# --- Bytes → lines → parsed rubrics ---------------------------------------------------------------------

NL, CR, SPACE, TAB, QUOTE = 10, 13, 32, 9, 39
PREFIX_LEN = 15  # 'S21.G00.30.001,'
FIXED_POSITIONS = np.array([0, 3, 4, 7, 10, 14])
FIXED_BYTES = np.frombuffer(b"S.G..,", np.uint8)
DIGIT_POSITIONS = np.array([1, 2, 5, 6, 8, 9, 11, 12, 13])
BLOCK_WEIGHTS = np.array([100000, 10000, 1000, 100, 10, 1], np.int32)
NUMBER_WEIGHTS = np.array([100, 10, 1], np.int32)
PAD = b"\0" * 16
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class Chunk:
    """The lines of one chunk: bytes (UTF-8) and, per non-blank line, where its parts lie."""

    data: bytes
    line_no: np.ndarray  # of the grammar-valid lines, then their parts below
    block: np.ndarray
    number: np.ndarray
    value_start: np.ndarray
    value_end: np.ndarray
    bad_lines: list[tuple[int, bytes, str]]  # (line, text, reason) of unreadable lines
    non_blank: np.ndarray  # line numbers of the non-blank lines


def _chunks(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(first line number, UTF-8 bytes of whole lines ending with LF, is last and unterminated)."""
    encoding = None  # undecided while everything read is ASCII
    line_no = 1
    with open(path, "rb") as handle:
        carry = handle.read(len(UTF8_BOM))
        carry = b"" if carry == UTF8_BOM else carry
        while True:
            block = handle.read(CHUNK_BYTES)
            data = carry + block
            if block:  # cut after the last complete line, keep the rest for the next read
                cut = data.rfind(b"\n") + 1
                piece, carry = data[:cut], data[cut:]
                if not piece:
                    continue
            elif data:
                piece = data
            else:
                return
            if b"\0" in piece:
                bad = line_no + piece[: piece.index(b"\0")].count(b"\n")
                raise SourceFileError(path, "fichier binaire : une DSN est un fichier texte", bad)
            unterminated = not block and not piece.endswith(b"\n")
            if unterminated:
                piece += b"\n"
            if not piece.isascii():
                encoding, piece = _to_utf8(path, piece, line_no, encoding)
            yield line_no, piece, unterminated
            line_no += piece.count(b"\n")
            if not block:
                return


def _to_utf8(path: Path, piece: bytes, line_no: int, encoding: str | None) -> tuple[str, bytes]:
    """UTF-8 if the file is; else Windows-1252 (the spec's rule: try UTF-8, then 8-bit Latin)."""
    if encoding in (None, "utf-8"):
        try:
            piece.decode("utf-8")
            return "utf-8", piece
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" or not piece[: exc.start].isascii():  # UTF-8 read before: mixed encodings
                bad = line_no + piece[: exc.start].count(b"\n")
                raise SourceFileError(path, "encodage incohérent : UTF-8 au début du fichier, pas ici", bad) from None
    try:
        return LATIN_ENCODING, piece.decode(LATIN_ENCODING).encode("utf-8")
    except UnicodeDecodeError as exc:
        bad = line_no + piece[: exc.start].count(b"\n")
        raise SourceFileError(
            path, f"encodage inconnu : l'octet {piece[exc.start]:#04x} n'est ni UTF-8 ni Windows-1252", bad
        ) from None


def _parse(first_line: int, data: bytes) -> Chunk:
    """Decode every line's fixed-width prefix and locate its value, all vectorised."""
    buf = np.frombuffer(data + PAD, np.uint8)
    ends = np.flatnonzero(buf[: len(data)] == NL)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    while True:  # strip CR (CRLF, stray CR) and trailing blanks
        last = buf[np.maximum(ends - 1, 0)]
        trailing = (ends > starts) & ((last == CR) | (last == SPACE) | (last == TAB))
        if not trailing.any():
            break
        ends -= trailing
    line_no = np.arange(first_line, first_line + len(starts), dtype=np.int32)
    non_blank = ends > starts
    long_enough = ends - starts >= PREFIX_LEN
    windows = np.lib.stride_tricks.as_strided(buf, shape=(len(buf) - PREFIX_LEN, PREFIX_LEN + 1), strides=(1, 1))
    prefix = windows[np.where(long_enough, starts, 0)]
    digits = prefix[:, DIGIT_POSITIONS] - np.uint8(48)
    valid = long_enough & (prefix[:, FIXED_POSITIONS] == FIXED_BYTES).all(axis=1) & (digits < 10).all(axis=1)
    value_start, value_end = starts + PREFIX_LEN, ends.copy()
    quoted = valid & (value_end > value_start) & (prefix[:, PREFIX_LEN] == QUOTE)
    closed = quoted & (value_end - value_start >= 2) & (buf[np.maximum(value_end - 1, 0)] == QUOTE)
    valid &= ~(quoted & ~closed)
    value_start += closed
    value_end -= closed

    bad_lines = []
    for i in np.flatnonzero(non_blank & ~valid):
        text = data[starts[i]: ends[i]]
        reason = "apostrophe fermante manquante" if quoted[i] else "le format attendu est Sxx.Gxx.xx.xxx,'valeur'"
        bad_lines.append((int(line_no[i]), text, reason))
    digits = digits[valid].astype(np.int32)
    return Chunk(
        data=data, line_no=line_no[valid], block=digits[:, :6] @ BLOCK_WEIGHTS,
        number=digits[:, 6:] @ NUMBER_WEIGHTS, value_start=value_start[valid], value_end=value_end[valid],
        bad_lines=bad_lines, non_blank=line_no[non_blank],
    )


def _values(data: bytes, start: np.ndarray, end: np.ndarray) -> pa.Array:
    """The byte ranges [start, end) of `data` as one Arrow string array (a single vectorised copy)."""
    lengths = end - start
    offsets = np.zeros(len(lengths) + 1, np.int32)  # a chunk is far below 2 GiB
    np.cumsum(lengths, out=offsets[1:])
    marks = np.zeros(len(data) + 1, np.int8)
    marks[start] += 1
    marks[end] -= 1
    keep = np.cumsum(marks[:-1], dtype=np.int8).view(bool)
    payload = np.frombuffer(data, np.uint8)[keep]
    return pa.Array.from_buffers(pa.string(), len(lengths), [None, pa.py_buffer(offsets), pa.py_buffer(payload)])


# --- The tree: block instances and their parents, carried across chunks --------------------------------

CONTEXT_NAMES = ("envoi_line", "declaration_line", "enterprise_line", "establishment_line", "individual_line",
                 "contract_line")  # indexed by level
OPENING_CODES = [_code(ENVOI_BLOCK)] + [_code(OPENING_BLOCKS[level]) for level in range(DECLARATION, CONTRACT + 1)]
NATURE_BLOCK = _code("S20.G00.05")


class Files:
    """The files read in one pass, numbered by one line count running across them (a "global" line): where
    each file starts, and what the end-of-file checks need per file."""

    LINE_COLUMNS = ("_line", "declaration_line", "enterprise_line", "establishment_line", "individual_line",
                    "contract_line", "block_line")

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.first_line = np.full(len(paths), np.iinfo(np.int64).max)  # global number of each file's line 1
        self.non_blank = np.zeros(len(paths), np.int64)
        self.has_envoi = np.zeros(len(paths), bool)
        self.refused: dict[int, SourceFileError] = {}

    def of(self, lines: np.ndarray | int) -> np.ndarray:
        """The file of each global line (a file refused before its first line owns none)."""
        return np.searchsorted(self.first_line, lines, "right") - 1

    def local(self, line: int) -> int:
        return int(line - self.first_line[self.of(line)] + 1)

    def reject(self, reject: Reject) -> tuple[int, Reject]:
        return int(self.of(reject.line)), reject._replace(line=self.local(reject.line))

    def refuse(self, index: int, exc: SourceFileError) -> tuple[int, SourceFileError]:
        self.refused.setdefault(index, exc)
        return index, exc

    def rows(self, table: str, batch: pa.RecordBatch) -> RawRows:
        """A batch of global lines as the raw table's rows: lines of their own file, and its index."""
        line = batch.column("_line").to_numpy(zero_copy_only=False)
        file = self.of(line)
        offset = pa.array((self.first_line[file] - 1).astype(np.int32))
        arrays = [pc.subtract(column, offset) if name in self.LINE_COLUMNS else column
                  for name, column in zip(batch.schema.names, batch.columns, strict=True)]
        return with_file_index(RawRows(table, pa.RecordBatch.from_arrays(arrays, schema=batch.schema)),
                               pa.array(file.astype(np.int32)))


@dataclass
class Tree:
    """What the next chunk needs from the previous ones: the last rubric seen and the open instances."""

    files: Files
    previous: tuple[int, int, int] = (-1, -1, -1)  # (block, rubric number, file start) of the last valid line
    block_line: int = 0
    open_lines: list[int] = field(default_factory=lambda: [0] * len(CONTEXT_NAMES))
    natures: dict[int, str | None] = field(default_factory=dict)  # declaration line → nature
    first_nature_line: dict[int, int] = field(default_factory=dict)  # file → line of its first nature

    def place(self, chunk: Chunk) -> Placed:
        """Per valid line: its block instance and the lines of its valid ancestors (0 = none), within its file."""
        block, number, line_no = chunk.block, chunk.number, chunk.line_no
        start = self.files.first_line[self.files.of(line_no)]
        opens = np.empty(len(block), bool)
        opens[0] = block[0] != self.previous[0] or number[0] <= self.previous[1] or start[0] != self.previous[2]
        opens[1:] = (block[1:] != block[:-1]) | (number[1:] <= number[:-1]) | (start[1:] != start[:-1])
        block_line = _running_max(np.where(opens, line_no, 0), self.block_line)
        lines = []
        for level, code in enumerate(OPENING_CODES):
            running = _running_max(np.where(opens & (block == code), line_no, 0), self.open_lines[level])
            self.open_lines[level] = int(running[-1])
            lines.append(np.where(running >= start, running, 0))  # an instance of an earlier file is closed
        self.files.has_envoi[self.files.of(line_no[opens & (block == OPENING_CODES[ENVOI])])] = True
        self.previous = (int(block[-1]), int(number[-1]), int(start[-1]))
        self.block_line = int(block_line[-1])
        for level in range(ENTERPRISE, CONTRACT + 1):  # an instance is valid after a valid parent instance
            parent = lines[level - 1]
            lines[level] = np.where((parent > 0) & (lines[level] > parent), lines[level], 0)
        depth = np.zeros(len(block), np.int8)  # how deep the valid chain of ancestors goes
        for level in range(DECLARATION, CONTRACT + 1):
            depth += lines[level] > 0
        return Placed(opens, block_line, lines, depth)

    def learn_natures(self, chunk: Chunk, values: pa.Array, placed: Placed) -> None:
        for i in np.flatnonzero(placed.opens & (chunk.block == NATURE_BLOCK)):
            self.natures[int(chunk.line_no[i])] = None
        for i in np.flatnonzero((chunk.block == NATURE_BLOCK) & (chunk.number == 1)):
            self.natures[int(placed.lines[DECLARATION][i])] = values[i].as_py().strip()
            self.first_nature_line.setdefault(int(self.files.of(chunk.line_no[i])), int(chunk.line_no[i]))

    def natures_of(self) -> list[list[str | None]]:
        """The natures of each file's declarations, in file order."""
        natures: list[list[str | None]] = [[] for _ in self.files.paths]
        for line, nature in self.natures.items():
            natures[self.files.of(line)].append(nature)
        return natures

    def monthly(self, declaration_lines: np.ndarray) -> np.ndarray:
        """Per line, whether its declaration is a monthly DSN (lines come in runs: few segments)."""
        cuts = np.flatnonzero(np.diff(declaration_lines)) + 1
        firsts = declaration_lines[np.concatenate(([0], cuts))]
        flags = np.array([self.natures.get(int(d)) == MONTHLY_NATURE for d in firsts], bool)
        return np.repeat(flags, np.diff(np.concatenate(([0], cuts, [len(declaration_lines)]))))


@dataclass
class Placed:
    opens: np.ndarray
    block_line: np.ndarray
    lines: list[np.ndarray]  # per level (CONTEXT_NAMES), 0 when the line has no valid such ancestor
    depth: np.ndarray


def _running_max(values: np.ndarray, carried: int) -> np.ndarray:
    out = np.maximum.accumulate(values)
    return np.maximum(out, carried, out=out)


class RubricNames:
    """Rubric codes → 'Sxx.Gxx.xx.xxx' strings, through a dictionary grown as blocks appear (shared)."""

    def __init__(self) -> None:
        self._row = np.full(1_000_000, -1, np.int32)
        self._names: list[str] = []
        self._dictionary = pa.array([], pa.string())
        self._lock = threading.Lock()

    def __call__(self, block: np.ndarray, number: np.ndarray) -> pa.Array:
        if (self._row[block] < 0).any():
            with self._lock:
                for code in np.flatnonzero((np.bincount(block, minlength=len(self._row)) > 0) & (self._row < 0)):
                    self._names.extend(f"{_block_name(code)}.{n:03d}" for n in range(1000))
                    self._dictionary = pa.array(self._names, pa.string())
                    self._row[code] = len(self._names) // 1000 - 1
        return self._dictionary.take(pa.array(self._row[block] * 1000 + number))


RUBRIC_NAMES = RubricNames()


class Hasher:
    """Keyed hashes of identifiers, normalised first (no spaces, upper case, a NIR without its 2-digit key)."""

    def __init__(self, context: ReadContext) -> None:
        self._pseudonymiser = context.pseudonymiser

    def __call__(self, values: pa.Array, domain: str) -> pa.Array:
        values = pc.utf8_upper(pc.replace_substring_regex(values, r"\s", ""))
        if domain == "employee":  # a NIR given with its 2-digit key
            values = pc.if_else(pc.equal(pc.utf8_length(values), 15), pc.utf8_slice_codeunits(values, 0, 13), values)
        return self._pseudonymiser.keys(values, domain)


# --- Reading a file -------------------------------------------------------------------------------------

def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    """Stream one DSN file: unmodelled rubrics and rejects as they come, modelled tables at the end.

    ``context.options["all_natures"] = True`` also reads declarations that are not monthly (inspection).
    """
    for item in read_many([Path(path)], context):
        if isinstance(item, RawRows):
            yield RawRows(item.table, item.batch.drop_columns([FILE_COLUMN]))
        elif isinstance(item[1], SourceFileError):
            raise item[1]
        else:
            yield item[1]


def read_many(paths: list[Path], context: ReadContext) -> Iterator[RawRows | tuple[int, Reject | SourceFileError]]:
    """Read several DSN files in one pass (the contract of `readers.base.read_files`): their lines are
    parsed, placed and pivoted together, as one stream whose tree is cut at each file's start, so that the
    fixed costs of the vectorised steps are paid once per CHUNK_BYTES, not once per (small, monthly) file."""
    all_natures = bool(context.options.get("all_natures"))
    files = Files(paths)
    tree, staging = Tree(files), Staging()
    buffer: list[bytes] = []
    unterminated: dict[int, int] = {}  # file → global number of its unterminated last line
    next_line = buffer_first_line = 1  # global numbers: of the next file's first line, of the buffer's
    buffered = 0

    def parse_buffer():
        nonlocal buffer
        if not buffer:
            return
        data, buffer = b"".join(buffer), []
        chunk = _parse(buffer_first_line, data)
        files.non_blank += np.bincount(files.of(chunk.non_blank), minlength=len(paths))
        bad = {line for line, _, _ in chunk.bad_lines}
        for index, last_line in list(unterminated.items()):
            if last_line in bad:
                yield files.refuse(index, SourceFileError(
                    paths[index], "fichier tronqué : la dernière ligne est incomplète. Demandez un nouvel envoi du fichier",
                    files.local(last_line),
                ))
        unterminated.clear()
        for line, text, reason in chunk.bad_lines:
            yield files.reject(Reject(line, f"ligne illisible : {reason}", _excerpt(text.decode("utf-8", "replace"))))
        if len(chunk.line_no):
            yield from _route(chunk, tree, staging, all_natures)

    for index, path in enumerate(paths):
        files.first_line[index] = next_line
        try:
            if path.stat().st_size == 0:
                raise SourceFileError(path, "fichier vide")
            for first_line, data, is_unterminated in _chunks(path):
                if not buffer:
                    buffer_first_line, buffered = files.first_line[index] + first_line - 1, 0
                buffer.append(data)
                buffered += len(data)
                next_line = files.first_line[index] + first_line - 1 + data.count(b"\n")
                if is_unterminated:
                    unterminated[index] = next_line - 1
                if buffered >= CHUNK_BYTES:
                    yield from parse_buffer()
        except SourceFileError as exc:
            yield files.refuse(index, exc)
    yield from parse_buffer()
    natures = tree.natures_of()
    yield from _refuse_incomplete(files, tree, natures, all_natures)
    yield from _modelled_tables(staging, files, [len(of_file) for of_file in natures], context)


def _refuse_incomplete(files: Files, tree: Tree, natures_of: list[list[str | None]], all_natures: bool):
    """The end-of-file checks: a file with no line, no DSN grammar, no declaration or no monthly one."""
    for index, (path, natures) in enumerate(zip(files.paths, natures_of, strict=True)):
        if index in files.refused:
            continue
        if files.non_blank[index] == 0:
            yield files.refuse(index, SourceFileError(path, "fichier vide (aucune ligne)"))
        elif not files.has_envoi[index] and not natures:
            yield files.refuse(index, SourceFileError(
                path, "ce n'est pas une DSN : aucune ligne au format Sxx.Gxx.xx.xxx,'valeur'"))
        elif not natures:
            yield files.refuse(index, SourceFileError(path, "aucune déclaration (bloc S20.G00.05) dans ce fichier"))
        elif not all_natures and MONTHLY_NATURE not in natures:
            first = tree.first_nature_line.get(index)
            yield files.refuse(index, SourceFileError(path, nature_reason(natures[0]),
                                                      files.local(first) if first else None))


def nature_reason(nature: str | None) -> str:
    if nature is None:
        return "déclaration sans nature (rubrique S20.G00.05.001 absente) : elle n'est pas chargée"
    label = NATURE_LABELS.get(nature, "nature inconnue")
    return (
        f"déclaration de nature {nature} ({label}) : seules les DSN mensuelles (nature {MONTHLY_NATURE}) "
        "sont chargées"
    )


def _excerpt(text: str) -> str:
    if text.encode().startswith(PRIVATE_PREFIXES):
        return text[:PREFIX_LEN] + "(valeur masquée)"
    return text[:120]


def _route(chunk: Chunk, tree: Tree, staging: Staging, all_natures: bool):
    """Place the chunk's lines in the tree, reject the misplaced ones, stream or stage the others."""
    placed = tree.place(chunk)
    route = ROUTE[ROUTE_ROW[chunk.block], chunk.number]
    values = _values(chunk.data, chunk.value_start, chunk.value_end)
    tree.learn_natures(chunk, values, placed)
    misplaced = placed.depth < REQUIRED_LEVEL_OF[chunk.block]
    depth = np.minimum(placed.depth, LEVEL_OF[chunk.block])
    other_nature = np.zeros(len(depth), bool)
    if not all_natures:
        other_nature = ~misplaced & (depth >= DECLARATION) & ~tree.monthly(placed.lines[DECLARATION])
    for i in np.flatnonzero(misplaced | other_nature):
        block_name = _block_name(int(chunk.block[i]))
        if misplaced[i]:
            label = BLOCK_LABELS.get(block_name)
            what = f"bloc {block_name}" + (f" ({label})" if label else "")
            reason = f"{what} hors de sa place : {MISSING_PARENT[placed.depth[i] + 1]}"
        else:
            reason = nature_reason(tree.natures.get(int(placed.lines[DECLARATION][i])))
        yield tree.files.reject(Reject(int(chunk.line_no[i]), reason,
                                       _excerpt(f"{block_name}.{chunk.number[i]:03d},'{values[i]}'")))

    kept = ~(misplaced | other_nature)
    context = [np.where(depth >= level, lines, 0) for level, lines in enumerate(placed.lines)]
    context[ENVOI] = placed.lines[ENVOI]
    other = np.flatnonzero(kept & (route == OTHER))
    if len(other):
        columns = [pa.array(chunk.line_no[other])] + [
            _nullable(context[level][other]) for level in (DECLARATION, ESTABLISHMENT, INDIVIDUAL, CONTRACT)
        ]
        columns += [pa.array(placed.block_line[other]), RUBRIC_NAMES(chunk.block[other], chunk.number[other]),
                    values.take(pa.array(other))]
        yield from _batches(tree.files, "raw_dsn_other_rubrics", pa.RecordBatch.from_arrays(columns, schema=OTHER_RUBRICS_SCHEMA))

    # a modelled block's instance is staged even when none of its rubrics is modelled
    staged = np.flatnonzero(kept & ((route == MODEL) | (placed.opens & MODELLED_BLOCK[chunk.block])))
    if len(staged):
        staging.add(chunk.block[staged], Rows(chunk.line_no[staged], chunk.number[staged], placed.block_line[staged],
                                              [lines[staged] for lines in context], values.take(pa.array(staged))))


def _nullable(values: np.ndarray) -> pa.Array:
    """int32 line numbers, 0 read as null (validity bitmap built directly: much faster than a mask)."""
    validity = np.packbits(values != 0, bitorder="little")
    return pa.Array.from_buffers(pa.int32(), len(values),
                                 [pa.py_buffer(validity), pa.py_buffer(values.astype(np.int32, copy=False))])


# --- Modelled blocks: one row per block instance, pivoted and typed with numpy and Arrow ----------------

MODELLED_CODES = sorted({c.block for c in MODELLED})
MODELLED_BLOCK = np.zeros(1_000_000, bool)
MODELLED_BLOCK[MODELLED_CODES] = True


@dataclass
class Rows:
    """The staged rows of one block, in file order."""

    line_no: np.ndarray
    number: np.ndarray
    block_line: np.ndarray
    context: list[np.ndarray]  # per level, as in CONTEXT_NAMES
    values: pa.Array

    def subset(self, rows: np.ndarray) -> Rows:
        return Rows(self.line_no[rows], self.number[rows], self.block_line[rows],
                    [lines[rows] for lines in self.context], self.values.take(pa.array(rows)))

    def slice(self, start: int, stop: int) -> Rows:
        return Rows(self.line_no[start:stop], self.number[start:stop], self.block_line[start:stop],
                    [lines[start:stop] for lines in self.context], self.values.slice(start, stop - start))


MODELLED_CODE_ARRAY = np.array(MODELLED_CODES)
SLOT = np.full((len(ROUTE), 1000), -1, np.int32)  # (ROUTE_ROW of a block, rubric number) → column in MODELLED
for _slot, _column in enumerate(MODELLED):
    SLOT[ROUTE_ROW[_column.block], _column.number] = _slot


class Staging:
    """The rows of the modelled blocks, kept per block until the end of the file."""

    def __init__(self) -> None:
        self._parts: dict[int, list[Rows]] = {code: [] for code in MODELLED_CODES}

    def add(self, block: np.ndarray, rows: Rows) -> None:
        order = np.argsort(block, kind="stable")  # each block's rows become one slice, in file order
        rows, block = rows.subset(order), block[order]
        starts = np.searchsorted(block, MODELLED_CODE_ARRAY, "left")
        stops = np.searchsorted(block, MODELLED_CODE_ARRAY, "right")
        for code, start, stop in zip(MODELLED_CODES, starts, stops, strict=True):
            if stop > start:
                self._parts[code].append(rows.slice(start, stop))

    def all_rows(self) -> tuple[np.ndarray, Rows]:
        """Every staged row, grouped by block then in file order, with its block code."""
        parts = [(code, part) for code in MODELLED_CODES for part in self._parts[code]]
        if not parts:
            empty = np.zeros(0, np.int32)
            return empty, Rows(empty, empty, empty, [empty] * len(CONTEXT_NAMES), pa.array([], pa.string()))
        block = np.concatenate([np.full(len(p.line_no), code, np.int32) for code, p in parts])
        return block, Rows(
            np.concatenate([p.line_no for _, p in parts]), np.concatenate([p.number for _, p in parts]),
            np.concatenate([p.block_line for _, p in parts]),
            [np.concatenate([p.context[level] for _, p in parts]) for level in range(len(CONTEXT_NAMES))],
            pa.concat_arrays([p.values for _, p in parts]),
        )


@dataclass
class Instances:
    """One row per block instance: its first line, its ancestors' lines, its typed columns."""

    line: np.ndarray
    context: list[np.ndarray]
    columns: dict[str, pa.Array]

    def __len__(self) -> int:
        return len(self.line)


class Pivot:
    """All staged rows typed at once (one conversion per kind, vectorised), then pivoted block by block
    into one row per block instance. A value of the wrong type becomes a Reject (its column stays
    empty); identifiers are hashed here.
    """

    def __init__(self, staging: Staging, hasher: Hasher) -> None:
        self.hasher = hasher
        self.rejects: list[Reject] = []
        block, rows = staging.all_rows()  # grouped by block (ascending codes), then in file order
        first = np.ones(len(block), bool)
        first[1:] = rows.block_line[1:] != rows.block_line[:-1]
        starts = np.flatnonzero(first)
        self.instance = np.cumsum(first) - 1
        self.instance_line = rows.block_line[starts]
        self.instance_context = [lines[starts] for lines in rows.context]
        self.block_rows = {code: (np.searchsorted(block, code, "left"), np.searchsorted(block, code, "right"))
                           for code in MODELLED_CODES}
        self.slot = SLOT[ROUTE_ROW[block], rows.number]  # -1: a row that only opens its instance
        text = pc.utf8_trim_whitespace(rows.values)
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        self.position = np.full(len(block), -1, np.int64)  # row → its position in its group's values
        group_of = GROUP_OF_SLOT_ARRAY[self.slot]  # -1: no column
        by_group = np.argsort(group_of, kind="stable")  # each group's rows in file order
        bounds = np.searchsorted(group_of[by_group], np.arange(len(KIND_GROUPS) + 1))
        grouped_text = text.take(pa.array(by_group))
        self.values: list[pa.Array] = []
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            group_rows = by_group[start:stop]
            self.position[group_rows] = np.arange(len(group_rows))
            self.values.append(self._convert(grouped_text.slice(start, stop - start), rows.line_no[group_rows],
                                             self.slot[group_rows]))

    def __call__(self, columns: tuple[Column, ...]) -> Instances:
        """The instances of the columns' block (a block's columns have consecutive slots in MODELLED)."""
        low, high = self.block_rows[columns[0].block]
        first = self.instance[low] if high > low else 0
        count = self.instance[high - 1] - first + 1 if high > low else 0
        base = COLUMN_SLOT[columns[0].rubric]
        slot = self.slot[low:high]
        filled = np.flatnonzero(slot >= 0)
        cell = np.full((count, len(columns)), -1, np.int64)  # instance × column → position in its group
        cell[self.instance[low + filled] - first, slot[filled] - base] = self.position[low + filled]
        typed = [None] * len(columns)
        for group, js in _groups_of_columns(base, len(columns)):  # one take per group, column after column
            at = cell[:, js].T.ravel()
            taken = self.values[group].take(pa.array(at, mask=at < 0))
            for k, j in enumerate(js):
                typed[j] = taken.slice(k * count, count)
        typed = {column.name: values for column, values in zip(columns, typed, strict=True)}
        chosen = slice(first, first + count)
        return Instances(self.instance_line[chosen], [lines[chosen] for lines in self.instance_context], typed)

    def _convert(self, text: pa.Array, line_no: np.ndarray, slot: np.ndarray) -> pa.Array:
        if not len(slot):
            return text
        first = MODELLED[slot[0]]
        if first.kind == "text":
            return text
        if first.kind == "key":
            return self.hasher(text, HASH_DOMAINS[first.rubric])
        converted = CONVERTERS[first.kind](text)
        bad = pc.and_(pc.is_valid(text), pc.is_null(converted)).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(bad):
            column, value = MODELLED[slot[i]], text[i].as_py()
            self.rejects.append(Reject(
                int(line_no[i]),
                f"valeur « {value} » invalide en {column.rubric} (attendu : {KIND_LABELS[column.kind]}) ; "
                f"la colonne {column.name} reste vide",
                _excerpt(f"{column.rubric},'{value}'"),
            ))
        return converted


@functools.cache
def _groups_of_columns(base: int, count: int) -> list[tuple[int, list[int]]]:
    """The columns base … base + count - 1 of MODELLED by conversion group: (group, their offsets)."""
    groups: dict[int, list[int]] = {}
    for j in range(count):
        groups.setdefault(GROUP_OF_SLOT[base + j], []).append(j)
    return list(groups.items())


def _kind_groups() -> list[list[int]]:
    """Columns (positions in MODELLED) converted together: per kind; per rubric for identifiers (domains)."""
    groups: dict[str, list[int]] = {}
    for j, column in enumerate(MODELLED):
        groups.setdefault(column.rubric if column.kind == "key" else column.kind, []).append(j)
    return list(groups.values())


KIND_GROUPS = _kind_groups()
GROUP_OF_SLOT = {j: g for g, group in enumerate(KIND_GROUPS) for j in group}
GROUP_OF_SLOT_ARRAY = np.full(len(MODELLED) + 1, -1, np.int64)  # slot → group; its last item serves slot -1
GROUP_OF_SLOT_ARRAY[list(GROUP_OF_SLOT)] = list(GROUP_OF_SLOT.values())
COLUMN_SLOT = {column.rubric: j for j, column in enumerate(MODELLED)}


def _dates(text: pa.Array, unknown_is_first: bool = False) -> pa.Array:
    """JJMMAAAA → date32; anything else (31022024 included) → null. ``00`` day/month → 01 if asked."""
    ok = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{8}$"), False).to_numpy(zero_copy_only=False)
    out = np.full(len(text), np.datetime64("NaT"), "datetime64[D]")
    if ok.any():
        eight = text.filter(pa.array(ok))  # contiguous 8-byte values
        first_byte = np.frombuffer(eight.buffers()[1], np.int32)[eight.offset]
        digits = np.frombuffer(eight.buffers()[2], np.uint8)[first_byte: first_byte + 8 * len(eight)]
        digits = digits.reshape(-1, 8).astype(np.int32) - 48
        day = digits[:, 0] * 10 + digits[:, 1]
        month = digits[:, 2] * 10 + digits[:, 3]
        year = digits[:, 4:] @ np.array([1000, 100, 10, 1], np.int32)
        if unknown_is_first:
            day, month = np.maximum(day, 1), np.maximum(month, 1)
        valid_month = (month >= 1) & (month <= 12) & (year >= 1800)
        first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
        length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int32)
        valid = valid_month & (day >= 1) & (day <= length)
        dates = first.astype("datetime64[D]") + (day - 1)
        out[np.flatnonzero(ok)] = np.where(valid, dates, np.datetime64("NaT"))
    return pa.array(out, pa.date32(), mask=np.isnat(out))


def _numbers(pattern: str, target: pa.DataType):
    def convert(text: pa.Array) -> pa.Array:
        text = pc.replace_substring(text, ",", ".")
        ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
        return pc.if_else(ok, text, pa.scalar(None, pa.string())).cast(target)
    return convert


CONVERTERS = {
    "date": _dates,
    "birth_date": lambda text: _dates(text, unknown_is_first=True),
    "number": _numbers(r"^-?[0-9]+(\.[0-9]+)?$", pa.float64()),
    "amount": _numbers(r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$", pa.decimal128(18, 2)),
    "count": _numbers(r"^[0-9]{1,9}$", pa.int32()),
}


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position of each wanted value in the sorted ``keys`` (-1 when absent)."""
    if not len(keys):
        return np.full(len(wanted), -1, np.int64)
    position = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[position] == wanted, position, -1)


def _take(values: pa.Array | pa.RecordBatch | np.ndarray, position: np.ndarray) -> pa.Array | pa.RecordBatch:
    values = pa.array(values) if isinstance(values, np.ndarray) else values
    return values.take(pa.array(position, mask=position < 0))


def _batches(files: Files, table: str, batch: pa.RecordBatch | dict[str, pa.Array]) -> Iterator[RawRows]:
    """The rows of a raw table (a batch, or its columns by name), in batches of BATCH_ROWS."""
    if isinstance(batch, dict):
        schema = TABLES[table]
        batch = pa.RecordBatch.from_arrays(
            [batch[f.name] if batch[f.name].type == f.type else batch[f.name].cast(f.type) for f in schema], schema=schema)
    for offset in range(0, batch.num_rows, BATCH_ROWS):
        yield files.rows(table, batch.slice(offset, BATCH_ROWS))


def _modelled_tables(staging: Staging, files: Files, declarations: list[int], context: ReadContext):
    """The modelled raw tables of the files; ``declarations``: how many declarations each file holds."""
    pivot = Pivot(staging, Hasher(context))
    declared = _declarations(pivot, files, declarations, context)
    yield from _batches(files, "raw_dsn_declarations", declared)
    has_establishment = pc.is_valid(declared["establishment_line"]).to_numpy(zero_copy_only=False)
    order = np.argsort(declared["establishment_line"].to_numpy(zero_copy_only=False)[has_establishment])
    establishments = pa.RecordBatch.from_pydict(
        {name: declared[name] for name in ("establishment_line", "declaration_line", "siret", "declared_month")}
    ).filter(pa.array(has_establishment)).take(pa.array(order))
    establishment_lines = establishments.column("establishment_line").to_numpy()

    def with_context(instances: Instances) -> dict[str, pa.Array]:
        position = _lookup(establishment_lines, instances.context[ESTABLISHMENT])
        taken = _take(establishments, position)  # one take for the four columns
        return {"_line": pa.array(instances.line), **dict(zip(taken.schema.names, taken.columns, strict=True))}

    people = pivot(INDIVIDUAL_COLUMNS)
    individuals = with_context(people) | people.columns
    individuals["individual_key"] = pc.coalesce(people.columns["nir_key"], people.columns["ntt_key"])
    individuals["identifier_kind"] = pc.case_when(
        pc.make_struct(pc.is_valid(people.columns["nir_key"]), pc.is_valid(people.columns["ntt_key"])),
        pa.scalar("NIR"), pa.scalar("NTT"),
    )
    anonymous = people.line[pc.is_null(individuals["individual_key"]).to_numpy(zero_copy_only=False)]
    for index, lines in _by_file(files, anonymous):
        context.warnings.append(f"{files.paths[index]}, ligne {files.local(lines[0])} : {len(lines)} individu(s) "
                                "sans NIR ni NTT, chargé(s) sans clé")
    yield from _batches(files, "raw_dsn_individuals", individuals)

    def with_person(instances: Instances) -> dict[str, pa.Array]:
        person = _lookup(people.line, instances.context[INDIVIDUAL])
        return with_context(instances) | {
            "individual_line": _nullable(instances.context[INDIVIDUAL]),
            "individual_key": _take(individuals["individual_key"], person),
        }

    jobs = pivot(CONTRACT_COLUMNS)
    contracts = with_person(jobs) | jobs.columns
    yield from _batches(files, "raw_dsn_contracts", contracts)

    for table, columns in CONTRACT_CHILD_TABLES.items():
        events = pivot(columns)
        job = _lookup(jobs.line, events.context[CONTRACT])
        yield from _batches(files, table, with_person(events) | events.columns | {
            "contract_line": _nullable(events.context[CONTRACT]),
            "contract_number": _take(jobs.columns["contract_number"], job),
        })

    pay = pivot(REMUNERATION_COLUMNS)
    number, contract_line = _contract_of(pay, jobs)
    yield from _batches(files, "raw_dsn_remunerations", with_person(pay) | pay.columns | {
        "contract_line": contract_line, "contract_number": number,
    })
    yield from map(files.reject, pivot.rejects)


def _by_file(files: Files, lines: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Sorted global lines grouped by their file, the files refused left out."""
    of = files.of(lines)
    for index in np.unique(of):
        if index not in files.refused:
            yield int(index), lines[of == index]


def _contract_of(pay: Instances, jobs: Instances) -> tuple[pa.Array, pa.Array]:
    """The contract of each remuneration: same individual and number, else the individual's sole contract."""
    numbers = pa.concat_arrays([jobs.columns["contract_number"], pay.columns["declared_contract_number"]])
    codes = pc.fill_null(pc.dictionary_encode(numbers).indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    job_keys = jobs.context[INDIVIDUAL].astype(np.int64) << 32 | (codes[: len(jobs)] & 0xFFFFFFFF)
    pay_keys = pay.context[INDIVIDUAL].astype(np.int64) << 32 | (codes[len(jobs):] & 0xFFFFFFFF)
    order = np.argsort(job_keys, kind="stable")
    matched = _lookup(job_keys[order], pay_keys)
    matched = np.where(matched >= 0, order[np.maximum(matched, 0)], -1)
    persons, first, count = np.unique(jobs.context[INDIVIDUAL], return_index=True, return_counts=True)
    sole = _lookup(persons, pay.context[INDIVIDUAL])
    sole = np.where((sole >= 0) & (count[np.maximum(sole, 0)] == 1), first[np.maximum(sole, 0)], -1)
    declared = pay.columns["declared_contract_number"]
    no_number = pc.is_null(declared).to_numpy(zero_copy_only=False)
    job = np.where(no_number, sole, matched)
    number = pc.coalesce(declared, _take(jobs.columns["contract_number"], np.where(no_number, sole, -1)))
    return number, _take(jobs.line, job)


def _declarations(pivot: Pivot, files: Files, declarations: list[int], context: ReadContext) -> dict:
    """One row per establishment of each declaration (few rows: assembled in Python)."""
    def by_line(columns):
        instances = pivot(columns)
        rows = pa.table(instances.columns).to_pylist() if len(instances) else []
        return {int(line): (row, [int(c[i]) for c in instances.context])
                for i, (line, row) in enumerate(zip(instances.line, rows, strict=True))}

    envois, issuers, decls = by_line(ENVOI_COLUMNS), by_line(ISSUER_COLUMNS), by_line(DECLARATION_COLUMNS)
    enterprises, establishments = by_line(ENTERPRISE_COLUMNS), by_line(ESTABLISHMENT_COLUMNS)
    totals: list[dict] = [{} for _ in files.paths]  # per file
    for line, total in by_line(TOTAL_COLUMNS).items():
        totals[files.of(line)][line] = total
    for index, path in enumerate(files.paths):
        if index not in files.refused:
            _check_totals(path, files, context, totals[index], int(files.non_blank[index]), declarations[index])
    issuer_of = {ctx[ENVOI]: row for row, ctx in issuers.values()}
    empty = {c.name: None for c in ENVOI_COLUMNS + ISSUER_COLUMNS + ENTERPRISE_COLUMNS + ESTABLISHMENT_COLUMNS}
    establishments_of: dict[int, list] = {}
    for line, (row, ctx) in sorted(establishments.items()):
        establishments_of.setdefault(ctx[DECLARATION], []).append((line, row, ctx))
    first_enterprise_of: dict[int, int] = {}
    for line, (_, ctx) in sorted(enterprises.items()):
        first_enterprise_of.setdefault(ctx[DECLARATION], line)
    out = []
    for decl_line, (decl, decl_ctx) in sorted(decls.items()):
        index = int(files.of(decl_line))
        file_totals = totals[index]
        total = file_totals[max(file_totals)][0] if file_totals else dict.fromkeys(c.name for c in TOTAL_COLUMNS)
        envoi = envois.get(decl_ctx[ENVOI], (empty, None))[0]
        for est_line, est, est_ctx in establishments_of.get(decl_line, [(None, empty, None)]):
            ent_line = est_ctx[ENTERPRISE] if est_ctx else first_enterprise_of.get(decl_line)
            ent = enterprises.get(ent_line, (empty, None))[0]
            siret = ent["siren"] + est["nic"] if ent["siren"] and est["nic"] else None
            out.append(empty | envoi | issuer_of.get(decl_ctx[ENVOI], {}) | decl | ent | est | total | {
                "_line": est_line or decl_line, "declaration_line": decl_line, "enterprise_line": ent_line,
                "establishment_line": est_line, "siret": siret,
                "file_line_count": int(files.non_blank[index]), "file_declaration_count": declarations[index],
            })
    table = pa.Table.from_pylist(out, schema=DECLARATIONS_SCHEMA)
    return {name: table.column(name).combine_chunks() for name in DECLARATIONS_SCHEMA.names}


def _check_totals(path: Path, files: Files, context: ReadContext, totals: dict, non_blank: int, declarations: int) -> None:
    """S90.G00.90: the envoi's own count of lines and of declarations, checked against the file."""
    if not totals:
        context.warnings.append(
            f"{path} : pas de bloc S90.G00.90 (total de l'envoi) : impossible de vérifier que le fichier est complet"
        )
        return
    line = max(totals)
    row = totals[line][0]
    for announced, found, what in ((row["declared_line_total"], non_blank, "rubriques"),
                                   (row["declared_declaration_count"], declarations, "déclarations")):
        if announced is not None and announced != found:
            context.warnings.append(f"{path}, ligne {files.local(line)} : l'envoi annonce {announced} {what}, "
                                    f"le fichier en contient {found}")
