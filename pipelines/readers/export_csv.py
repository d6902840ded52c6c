"""Family 1 `export_csv`: flat CSV files per extraction folder (activity_sources.md, family 1).

Windows-1252, `;`, CRLF, dates JJ/MM/AAAA, French headers and labels. A folder `extraction_AAAA-MM-JJ/`
holds five files; the extraction date is kept on every row so that staging applies AC-22 (the newest
extraction supersedes older ones, record by record). Labels are kept as delivered: the mapping to the
common codes is a seed (seeds/mappings/export_csv__*.csv), never code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.readers.base import RawRows, ReadContext, Reject, byte_blocks, is_binary
from pipelines.readers.csv_table import (
    Column,
    TableSpec,
    exit_not_before_entry,
    parse_choice,
    parse_date_fr,
    parse_finess,
    parse_int_range,
    parse_yes_no,
    read_delimited,
)

KIND = "export_csv"
ENCODING = "cp1252"
DELIMITER = ";"
FOLDER_PATTERN = re.compile(r"^extraction_(\d{4}-\d{2}-\d{2})$")
NON_ASCII = re.compile(rb"[\x80-\xff]")

S, D, B, I = pa.string(), pa.date32(), pa.bool_(), pa.int32()
SPECS = (
    TableSpec("usagers.csv", "raw_export_csv_usagers", (
        Column("N° dossier", "person_key", S, required=True, pseudonymise="person"),
        Column("Nom", "", S, drop=True),
        Column("Prénom", "", S, drop=True),
        Column("Sexe", "sex", S, parse_choice("M", "F")),
        Column("Date de naissance", "birth_date", D, parse_date_fr),
        Column("NIR", "", S, drop=True),
        Column("Déficience principale", "main_deficiency_label", S),
        Column("Déficiences associées", "associated_deficiency_labels", S),
        Column("GIR", "gir", I, parse_int_range(1, 6)),
        Column("Date évaluation GIR", "gir_assessed_on", D, parse_date_fr),
        Column("Mesure de protection", "protection", B, parse_yes_no),
        Column("Orientation MDPH", "mdph_orientation", B, parse_yes_no),
    )),
    TableSpec("sejours.csv", "raw_export_csv_sejours", (
        Column("N° séjour", "stay_key", S, required=True, pseudonymise="stay"),
        Column("N° dossier", "person_key", S, required=True, pseudonymise="person"),
        Column("FINESS", "finess", S, parse_finess, required=True),
        Column("Mode d'accueil", "mode_label", S, required=True),
        Column("Date d'entrée", "entry_date", D, parse_date_fr, required=True),
        Column("Date de sortie", "exit_date", D, parse_date_fr),
        Column("Provenance", "provenance_label", S),
        Column("Motif de sortie", "exit_motive_label", S),
        Column("Amendement Creton", "creton", B, parse_yes_no),
    ), exit_not_before_entry("entry_date", "exit_date")),
    TableSpec("absences.csv", "raw_export_csv_absences", (
        Column("N° séjour", "stay_key", S, required=True, pseudonymise="stay"),
        Column("Début", "first_day", D, parse_date_fr, required=True),
        Column("Fin", "last_day", D, parse_date_fr, required=True),
        Column("Motif", "motive_label", S),
    ), exit_not_before_entry("first_day", "last_day")),
    TableSpec("presences.csv", "raw_export_csv_presences", (
        Column("N° séjour", "stay_key", S, required=True, pseudonymise="stay"),
        Column("Date", "day", D, parse_date_fr, required=True),
    )),
    TableSpec("actes.csv", "raw_export_csv_actes", (
        Column("N° séjour", "stay_key", S, required=True, pseudonymise="stay"),
        Column("Date", "day", D, parse_date_fr, required=True),
        Column("Type", "kind_label", S),
        Column("Statut", "status_label", S, required=True),
    )),
)
SPEC_BY_FILE = {spec.file_name: spec for spec in SPECS}
TABLES = {spec.table: pa.schema([("extraction_date", pa.date32()), *spec.schema]) for spec in SPECS}


def extraction_date(path: Path) -> dt.date:
    match = FOLDER_PATTERN.match(path.parent.name)
    if not match:
        raise SourceFileError(
            path, f"le dossier « {path.parent.name} » ne suit pas le nom attendu extraction_AAAA-MM-JJ"
        )
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise SourceFileError(path, f"date d'extraction « {match.group(1)} » impossible") from None


def discover(folder: Path) -> list[Path]:
    """Every known file of every extraction folder, oldest extraction first."""
    folder = Path(folder)
    found = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name)):
        found += [sub / spec.file_name for spec in SPECS if (sub / spec.file_name).exists()]
    return found


def _check_not_utf8(path: Path) -> None:
    """A UTF-8 file decodes as cp1252 into mojibake: refuse it, naming the first line with a UTF-8 accent."""
    lines_before = 0
    for block in byte_blocks(path):
        accent = NON_ASCII.search(block)
        if accent is None:
            lines_before += block.count(b"\n")
            continue
        start = block.rfind(b"\n", 0, accent.start()) + 1
        end = block.find(b"\n", accent.start())
        try:
            block[start:end if end >= 0 else len(block)].decode("utf-8")
        except UnicodeDecodeError:
            return  # a genuine single-byte encoding
        raise SourceFileError(
            path,
            "le fichier est encodé en UTF-8 alors que l'export doit être en Windows-1252 (cp1252) : "
            "ré-exportez-le depuis le logiciel ou convertissez-le",
            lines_before + block.count(b"\n", 0, start) + 1,
        )


def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    path = Path(path)
    spec = SPEC_BY_FILE.get(path.name)
    if spec is None:
        raise SourceFileError(path, f"fichier inattendu dans une extraction (attendus : {', '.join(SPEC_BY_FILE)})")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "fichier vide", 1)
    if is_binary(path):
        raise SourceFileError(path, "fichier binaire : un export CSV (texte Windows-1252, séparateur ;) est attendu", 1)
    _check_not_utf8(path)
    constants = (("extraction_date", pa.date32(), extraction_date(path)),)
    yield from read_delimited(path, spec, ENCODING, DELIMITER, context.pseudonymiser, constants)
