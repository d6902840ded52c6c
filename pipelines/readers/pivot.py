"""Family 0 `pivot`: the common exchange format (UTF-8 CSV, `,`, ISO dates, common codes).

The column definitions below are THE definition of the format: the reader, the export
(`tdbms export-pivot`) and docs/pivot.md (checked by a test) all derive from them. Any software can
produce these files; a delivery is a folder of them (several deliveries: one sub-folder each, read in
name order; the latest delivery of a record wins, AC-22).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.readers.base import RawRows, ReadContext, Reject, is_binary
from pipelines.readers.csv_table import (
    Column,
    TableSpec,
    arrow_form,
    exit_not_before_entry,
    parse_choice,
    parse_date_iso,
    parse_finess,
    parse_int_range,
    parse_yes_no,
    read_delimited,
)

KIND = "pivot"
ENCODING = "utf-8-sig"
DELIMITER = ","
MODES = ("HP", "HT", "AJ", "INT", "SEMI", "EXT", "SERV")
S, D, B, I = pa.string(), pa.date32(), pa.bool_(), pa.int32()


NATURAL = parse_int_range(0, 2**31 - 1)  # the widest a raw int32 column holds


@arrow_form(NATURAL.vector)
def _natural(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"nombre positif attendu, « {text} » reçu")
    return NATURAL(text)


SPECS = (
    TableSpec("persons.csv", "raw_pivot_persons", (
        Column("person_id", "person_key", S, required=True, pseudonymise="person"),
        Column("sex", "sex", S, parse_choice("M", "F")),
        Column("birth_date", "birth_date", D, parse_date_iso),
        Column("main_deficiency", "main_deficiency", S),
        Column("associated_deficiencies", "associated_deficiencies", S),
        Column("protection", "protection", B, parse_yes_no),
        Column("mdph_orientation", "mdph_orientation", B, parse_yes_no),
        Column("current_gir", "current_gir", I, parse_int_range(1, 6)),
    )),
    TableSpec("stays.csv", "raw_pivot_stays", (
        Column("stay_id", "stay_key", S, required=True, pseudonymise="stay"),
        Column("person_id", "person_key", S, required=True, pseudonymise="person"),
        Column("finess", "finess", S, parse_finess, required=True),
        Column("mode", "mode", S, parse_choice(*MODES), required=True),
        Column("entry_date", "entry_date", D, parse_date_iso, required=True),
        Column("exit_date", "exit_date", D, parse_date_iso),
        Column("provenance", "provenance", S),
        Column("exit_motive", "exit_motive", S),
        Column("creton", "creton", B, parse_yes_no),
    ), exit_not_before_entry("entry_date", "exit_date")),
    TableSpec("absences.csv", "raw_pivot_absences", (
        Column("stay_id", "stay_key", S, required=True, pseudonymise="stay"),
        Column("first_day", "first_day", D, parse_date_iso, required=True),
        Column("last_day", "last_day", D, parse_date_iso, required=True),
        Column("motive", "motive", S),
    ), exit_not_before_entry("first_day", "last_day")),
    TableSpec("attendance_days.csv", "raw_pivot_attendance_days", (
        Column("stay_id", "stay_key", S, required=True, pseudonymise="stay"),
        Column("day", "day", D, parse_date_iso, required=True),
    )),
    TableSpec("acts.csv", "raw_pivot_acts", (
        Column("act_id", "act_key", S, required=True, pseudonymise="act"),
        Column("stay_id", "stay_key", S, required=True, pseudonymise="stay"),
        Column("day", "day", D, parse_date_iso, required=True),
        Column("kind", "kind", S),
        Column("status", "status", S, required=True),
    )),
    TableSpec("assessments.csv", "raw_pivot_assessments", (
        Column("person_id", "person_key", S, required=True, pseudonymise="person"),
        Column("assessed_on", "assessed_on", D, parse_date_iso, required=True),
        Column("gir", "gir", I, parse_int_range(1, 6)),
        Column("pathos_points", "pathos_points", I, _natural),
    )),
)
SPEC_BY_FILE = {spec.file_name: spec for spec in SPECS}
TABLES = {spec.table: spec.schema for spec in SPECS}

DESCRIPTIONS = {
    "person_id": "identifiant de la personne dans le logiciel (pseudonymisé à la lecture)",
    "stay_id": "identifiant du séjour (une personne, un ESMS, un mode, une entrée → une sortie)",
    "act_id": "identifiant de l'acte",
    "sex": "M ou F",
    "birth_date": "date de naissance AAAA-MM-JJ",
    "main_deficiency": "code de la déficience principale (seeds/nomenclatures/deficiencies.csv)",
    "associated_deficiencies": "codes des déficiences associées séparés par |",
    "protection": "mesure de protection : true / false",
    "mdph_orientation": "orientation MDPH : true / false",
    "current_gir": "GIR actuel non daté (1 à 6), sans valeur d'évaluation (AC-08)",
    "finess": "FINESS géographique de l'ESMS (9 caractères)",
    "mode": "mode d'accueil : " + ", ".join(MODES),
    "entry_date": "date d'entrée (jour compté, AC-01)",
    "exit_date": "date de sortie (jour non compté), vide si le séjour continue",
    "provenance": "DOM, SAN, MS, INC ; vide pour un séjour qui en continue un autre",
    "exit_motive": "DC, HOSP, DOM, REOR, INC ; vide pour un changement de mode",
    "creton": "amendement Creton : true / false",
    "first_day": "premier jour d'absence",
    "last_day": "dernier jour d'absence (inclus)",
    "motive": "HOSP, HAD, CONV, VAC, AUTRE",
    "day": "date AAAA-MM-JJ",
    "kind": "type d'acte (libre)",
    "status": "REALISE, ANNULE ou ABSENT",
    "assessed_on": "date de l'évaluation",
    "gir": "GIR évalué (1 à 6)",
    "pathos_points": "points PATHOS (PMP)",
}


def discover(folder: Path) -> list[Path]:
    folder = Path(folder)
    deliveries = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
    return [d / spec.file_name for d in deliveries for spec in SPECS if (d / spec.file_name).exists()]


def read(path: Path, context: ReadContext) -> Iterator[RawRows | Reject]:
    path = Path(path)
    spec = SPEC_BY_FILE.get(path.name)
    if spec is None:
        raise SourceFileError(path, f"fichier pivot inconnu (attendus : {', '.join(SPEC_BY_FILE)})")
    if path.stat().st_size == 0:
        raise SourceFileError(path, "fichier vide", 1)
    if is_binary(path):
        raise SourceFileError(path, "fichier binaire : un CSV UTF-8 est attendu", 1)
    yield from read_delimited(path, spec, ENCODING, DELIMITER, context.pseudonymiser)


def format_markdown() -> str:
    """docs/pivot.md, generated from SPECS (a test keeps the committed file in sync)."""
    out = [
        "# Format pivot (famille 0)",
        "",
        "Fichiers CSV UTF-8, séparateur virgule, dates AAAA-MM-JJ, codes de la nomenclature commune.",
        "Une livraison = un dossier contenant tout ou partie des fichiers ci-dessous ; plusieurs livraisons =",
        "un sous-dossier chacune, lues dans l'ordre des noms ; la dernière livraison d'un enregistrement l'emporte.",
        "Généré depuis `pipelines/readers/pivot.py` : ne pas modifier à la main.",
    ]
    for spec in SPECS:
        out += ["", f"## `{spec.file_name}`", "", "| colonne | obligatoire | contenu |", "|---|---|---|"]
        for column in spec.columns:
            out.append(f"| `{column.header}` | {'oui' if column.required else ''} | {DESCRIPTIONS[column.header]} |")
    return "\n".join(out) + "\n"
