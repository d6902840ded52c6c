"""Great Expectations suites generated from the project's own metadata (OHDSI Data Quality Dashboard style).

A few parameterised check types (CHECK_TYPES) are applied to every table, column, code list and bound
that the metadata designates, instead of writing checks one by one:

- raw tables (conformance): the readers' schemas and column declarations (`TABLES`, `SPECS`: types,
  required columns, the header of each column in the source file), the code columns each staging folder
  checks with `unknown_codes(...)` against its family's mapping seed (the vendor codes of that seed are
  the accepted list), FINESS / SIRET columns, dates, amounts and counts;
- the common model (completeness): the share of codes decoded to INCONNU, the links between records
  (dq_record_links: stays with a person, acts with a stay…), DSN contracts with an ESMS, jobs classified;
- the indicators (plausibility): bounds per indicator of the catalogue (shares between 0 and 100 %,
  rates never negative, the plausible ranges of spec §5.2), journées against capacity (dq_capacity),
  month-to-month jumps (dq_indicator_jumps);
- coherence between sources: the ESMS of each source against the ESMS sheet (dq_esms_coherence), the
  months each source covers (dq_source_coverage).

One JSON suite per checked table is written to expectations/<table>.json (`python -m
pipelines.quality.suites`). Writing MERGES with the file already there: the thresholds (`mostly`, bounds),
severity and feeds of an existing check are kept as edited by hand; what comes from metadata (columns,
code lists, row conditions, descriptions) is refreshed; a check written by hand (no `"generated": true`)
is kept as is. Thresholds therefore live in the suites, never in the code that runs them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa

from pipelines import PROJECT_ROOT
from pipelines.catalogue import load_catalogue
from pipelines.config import FINESS_PATTERN, SIRET_PATTERN
from pipelines.sources import ACTIVITY_READER_MODULES, available_readers

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SEEDS_DIR = PROJECT_ROOT / "seeds"
STAGING_DIR = PROJECT_ROOT / "models" / "staging"

TUNABLE_KWARGS = ("mostly", "min_value", "max_value", "strict_min", "strict_max")  # thresholds: the file wins
TUNABLE_META = ("severity", "feeds")  # policy: the file wins
RAW_KEYS = ["_source_file", "_line"]  # examples of a raw table: the file and line to correct


@dataclass(frozen=True)
class CheckType:
    family: str
    expectation: str  # Great Expectations expectation type
    severity: str  # default severity (a suite may change it)


CHECK_TYPES = {
    "required": CheckType("conformance", "expect_column_values_to_not_be_null", "bloquant"),
    "code_list": CheckType("conformance", "expect_column_values_to_be_in_set", "avertissement"),
    "identifier": CheckType("conformance", "expect_column_values_to_match_regex", "bloquant"),
    "date_range": CheckType("conformance", "expect_column_values_to_be_between", "avertissement"),
    "value_range": CheckType("conformance", "expect_column_values_to_be_between", "avertissement"),
    "unknown_share": CheckType("completeness", "expect_column_values_to_not_be_in_set", "bloquant"),
    "present": CheckType("completeness", "expect_column_values_to_not_be_null", "bloquant"),
    "flag": CheckType("completeness", "expect_column_values_to_be_in_set", "avertissement"),  # a boolean verdict
    "indicator_range": CheckType("plausibility", "expect_column_values_to_be_between", "bloquant"),
    "plausible": CheckType("plausibility", "expect_column_values_to_be_between", "avertissement"),
}

# ---------------------------------------------------------------------------------------------------
# Metadata that the readers, seeds and models do not carry themselves.

SOURCE_LABELS = {
    "pivot": "Export d'activité (format pivot)",
    "export_csv": "Export d'activité (fichiers CSV)",
    "classeur_xlsx": "Classeurs de facturation",
    "base_sqlite": "Base du logiciel d'activité",
    "dsn": "DSN",
    "fec": "FEC",
    "esms_sheet": "Fiche ESMS",
}

# Required columns the readers do not declare themselves (`Column.required` of SPECS, `REQUIRED`).
RAW_REQUIRED = {
    "raw_esms_axe4": ("item",),
    "raw_dsn_declarations": ("siret", "declared_month"),
    "raw_dsn_individuals": ("siret", "declared_month", "individual_key"),
    "raw_dsn_contracts": ("siret", "declared_month", "individual_key", "start_date", "nature", "contract_number"),
    "raw_dsn_contract_ends": ("individual_key", "end_date", "end_reason"),
    "raw_dsn_work_stoppages": ("individual_key", "reason", "last_day_worked"),
    "raw_dsn_suspensions": ("individual_key", "reason", "start_date"),
    "raw_fec_lines": ("journal_code", "ecriture_num", "ecriture_date", "compte_num"),
    "raw_fec_files": ("dossier", "closing_date", "status"),
}

# Identifier columns: (pattern, what it is, severity).
IDENTIFIERS = {
    "finess": (FINESS_PATTERN.pattern, "FINESS (9 caractères)", "bloquant"),
    "finess_geo": (FINESS_PATTERN.pattern, "FINESS (9 caractères)", "avertissement"),
    "siret": (SIRET_PATTERN.pattern, "SIRET (14 chiffres)", "bloquant"),
    "workplace_siret": (SIRET_PATTERN.pattern, "SIRET (14 chiffres)", "avertissement"),
    "old_establishment_siret": (SIRET_PATTERN.pattern, "SIRET (14 chiffres)", "avertissement"),
}

# Code columns checked against a nomenclature seed (the vendor code columns come from the staging models).
NOMENCLATURE_COLUMNS = {
    ("raw_esms_caracterisation", "category_code"): ("nomenclatures/esms_categories.csv", "category_code", "catégories d'ESMS"),
}

DATE_RANGES = {"birth_date": ("1900-01-01", "2099-12-31")}
DEFAULT_DATE_RANGE = ("1950-01-01", "2099-12-31")
# Numbers: explicit ranges; other decimal / floating columns must not be negative, except signed amounts.
VALUE_RANGES = {
    "year": (2000, 2100), "gir": (1, 6), "current_gir": (1, 6), "pathos_points": (0, 9999),
    "age_min": (0, 120), "age_max": (0, 120), "jours_ouverture": (0, 366),
    "present_days": (0, 31), "absent_hospital_days": (0, 31), "absent_other_days": (0, 31),
}
SIGNED_COLUMNS = {"amount", "hours", "montant_devise"}  # DSN corrections, foreign currency amounts

# Coded domains of the common model: what the decoded codes feed and how a director names them.
DOMAINS = {
    "mode": ("mode d'accueil", ["A1-01", "A1-07", "A1-12", "A1-13", "A1-15", "A1-16", "A1-20", "A1-21"]),
    "provenance": ("provenance", ["A1-10"]),
    "exit_motive": ("motif de sortie", ["A1-11"]),
    "deficiency": ("déficience", ["A1-06"]),
    "absence_motive": ("motif d'absence", ["A1-12"]),
    "act_status": ("statut d'acte", ["A1-14", "A1-17"]),
    "hr_absence_motive": ("motif d'arrêt ou de suspension", ["A2-04", "A2-05"]),
}
COMMON_TABLES = {  # table of the common model → (label, key columns of its examples)
    "int_stays": ("Modèle commun, séjours", ["finess", "stay_key"]),
    "int_persons": ("Modèle commun, personnes accompagnées", ["person_key"]),
    "int_acts": ("Modèle commun, actes", ["finess", "act_key"]),
    "int_absence_days": ("Modèle commun, journées d'absence", ["finess", "stay_key", "day"]),
    "int_hr_absence_episodes": ("Modèle RH, arrêts et suspensions", ["finess", "block", "dsn_code", "first_day"]),
    "int_hr_contracts": ("Modèle RH, contrats", ["siret", "contract_key"]),
    "int_hr_job_functions": ("Modèle RH, emplois", ["pcs_ese", "job_label"]),
}
DECODED_COLUMNS = {  # (table, column) → coded domain: share of INCONNU
    ("int_stays", "mode"): "mode",
    ("int_stays", "provenance"): "provenance",
    ("int_stays", "exit_motive"): "exit_motive",
    ("int_persons", "main_deficiency"): "deficiency",
    ("int_acts", "status"): "act_status",
    ("int_absence_days", "motive"): "absence_motive",
    ("int_hr_absence_episodes", "motive_code"): "hr_absence_motive",
}
UNKNOWN_CODE = "INCONNU"
UNKNOWN_TOLERANCE = 0.05

FINANCE_FED_HR = {"A2-02"}  # prestations externes: read from the accounts (RH-13)


@cache
def source_feeds() -> dict[str, list[str]]:
    """Indicators fed by each source, from the catalogue's axes."""
    rows = load_catalogue()
    return {
        "activity": [r["code"] for r in rows if r["axis"] == "1"],
        "dsn": [r["code"] for r in rows if r["axis"] == "2" and r["code"] not in FINANCE_FED_HR],
        "fec": [r["code"] for r in rows if r["axis"] == "3" or r["code"] in FINANCE_FED_HR],
        "esms_sheet": ["*"],
    }


def links() -> list[tuple[str, str, str, list[str]]]:
    """(link, description, severity, feeds) of dq_record_links."""
    feeds = source_feeds()
    return [
        ("stay_person", "Chaque séjour se rattache à une personne accompagnée connue (sinon son âge, ses "
         "déficiences et sa protection manquent).", "avertissement", ["A1-01", "A1-02", "A1-06", "A1-08"]),
        ("act_stay", "Chaque acte se rattache à un séjour connu (sinon il n'est compté dans aucun ESMS).",
         "bloquant", ["A1-14", "A1-17"]),
        ("absence_stay", "Chaque absence se rattache à un séjour connu et tombe pendant ce séjour (AC-02).",
         "avertissement", ["A1-12", "A1-16"]),
        ("attendance_stay", "Chaque journée de présence se rattache à un séjour connu.", "avertissement",
         ["A1-13", "A1-15"]),
        ("fec_dossier_esms", "Chaque dossier comptable livré est associé à un ESMS ou au siège dans la "
         "configuration.", "avertissement", feeds["fec"]),
    ]


# source of dq_esms_coherence / dq_source_coverage → (name in French, feeds key, severity when an ESMS of
# the sheet is missing from it, severity of a missing month)
COHERENCE_SOURCES = {
    "activite": ("l'activité", "activity", "bloquant", "avertissement"),
    "dsn": ("la DSN", "dsn", "avertissement", "bloquant"),
    "fec": ("le FEC", "fec", "avertissement", "avertissement"),
}

# Indicators whose every value is a share of a whole (0 to 100 %) and rates that may be negative.
SHARES = {"A1-01", "A1-02", "A1-03", "A1-06", "A1-08", "A1-10", "A1-11", "A1-12", "A1-17", "A2-03", "A2-04",
          "A2-05", "A2-08", "A3-08", "A3-09", "A3-10", "A3-11", "A4-01", "A4-02"}
SIGNED_RATES = {"A2-01", "A3-03"}  # over-staffing, negative self-financing
# Plausible yearly values (spec §5.2, non-blocking alerts): code → (min, max, what is signalled).
PLAUSIBLE = {
    "A1-04": (100, 1000, "un GMP hors de la plage plausible est signalé"),
    "A1-07": (None, 10950, "une durée moyenne d'accompagnement de plus de 30 ans est signalée"),
    "A1-15": (None, 1.05, "un taux d'occupation annuel au-delà de 105 % est signalé"),
    "A2-01": (-0.10, 0.30, "ETP réels au 31/12 comparés aux ETP budgétés : plus de 30 % de postes vacants, ou "
              "plus de 10 % d'ETP au-delà du budget, est signalé"),
    "A2-04": (None, 0.25, "un absentéisme au-delà de 25 % est signalé"),
    "A2-06": (None, 0.60, "une rotation du personnel au-delà de 60 % est signalée"),
    "A3-03": (0, 0.20, "un taux de CAF négatif ou au-delà de 20 % est signalé"),
    "A3-04": (None, 1, "une vétusté au-delà de 100 % est signalée"),
    "A3-05": (None, 1, "une vétusté au-delà de 100 % est signalée"),
}
JUMP_MAX = 0.5  # relative change from one month to the next
CAPACITY_MAX = 1.0  # journées réalisées / (places × jours d'ouverture)


# ---------------------------------------------------------------------------------------------------
# Building blocks


def check(check_id: str, check_type: str, description: str, feeds: list[str], *, column: str,
          severity: str | None = None, row_condition: str | None = None, **kwargs) -> dict:
    """One expectation (GX suite JSON format) of a check type; thresholds are put last in kwargs."""
    kind = CHECK_TYPES[check_type]
    arguments = {"column": column, **{k: v for k, v in kwargs.items() if k not in TUNABLE_KWARGS}}
    if row_condition:
        arguments |= {"row_condition": row_condition, "condition_parser": "pandas"}
    arguments |= {k: kwargs[k] for k in TUNABLE_KWARGS if kwargs.get(k) is not None}
    return {
        "type": kind.expectation,
        "kwargs": arguments,
        "meta": {"check_id": check_id, "family": kind.family, "severity": severity or kind.severity,
                 "description": description, "feeds": feeds, "generated": True},
    }


def suite(table: str, label: str, key_columns: list[str], expectations: list[dict]) -> dict:
    return {"name": table, "meta": {"table": table, "label": label, "key_columns": key_columns},
            "expectations": expectations}


def _between(low, high) -> dict:
    return {"min_value": low, "max_value": high}


@cache
def seed_values(path: str, column: str, **where: str) -> tuple[str, ...]:
    with open(SEEDS_DIR / path, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return tuple(sorted({r[column] for r in rows if all(r[k] == v for k, v in where.items())}))


UNKNOWN_CODES_CALL = re.compile(
    r"unknown_codes\(\s*'(?P<seed>\w+)',\s*'\w+',\s*'(?P<domain>\w+)',\s*"
    r"source\('\w+',\s*'(?P<table>\w+)'\),\s*'(?P<column>\w+)'\s*\)"
)


@cache
def staged_code_columns() -> dict[tuple[str, str], tuple[str, str]]:
    """(raw table, column) → (mapping seed, domain), read from the `unknown_codes(...)` calls of the staging
    models: the one place that says which vendor column carries which coded domain. Delimited lists of
    codes (a 6th argument) are left to the unknown-codes listing."""
    found = {}
    for path in sorted(STAGING_DIR.glob("*/stg_*__unknown_codes.sql")):
        for match in UNKNOWN_CODES_CALL.finditer(path.read_text(encoding="utf-8")):
            found[(match["table"], match["column"])] = (f"mappings/{match['seed']}.csv", match["domain"])
    return found


def reader_columns(module) -> dict[str, dict[str, tuple[str, bool]]]:
    """table → column → (header in the source file, required), from the reader's column declarations."""
    declared: dict[str, dict[str, tuple[str, bool]]] = {}
    for spec in getattr(module, "SPECS", ()):
        declared[spec.table] = {c.name: (c.header, c.required) for c in spec.columns if not c.drop}
    for table, schema in module.TABLES.items():
        columns = declared.setdefault(table, {})
        required = {*RAW_REQUIRED.get(table, ()), *getattr(module, "REQUIRED", ())}
        for name in schema.names:
            columns.setdefault(name, (name, name in required))
    return declared


# ---------------------------------------------------------------------------------------------------
# Suites of each layer


def raw_checks(table: str, schema: pa.Schema, columns: dict, source: str, feeds: list[str]) -> Iterator[dict]:
    codes = staged_code_columns()
    for field in schema:
        name = field.name
        if name.startswith("_"):
            continue
        header, required = columns[name]
        prefix, column = f"{table}.{name}", f"{source} : la colonne « {header} »"
        if required:
            yield check(f"{prefix}.required", "required", f"{column} est renseignée sur chaque ligne.", feeds,
                        column=name)
        if (table, name) in codes:
            seed, domain = codes[(table, name)]
            what, domain_feeds = DOMAINS[domain]
            yield check(f"{prefix}.code_list", "code_list",
                        f"{column} ne contient que des codes de {what} connus de la table de correspondance de "
                        f"l'éditeur (seeds/{seed}) ; un code inconnu est compté « {UNKNOWN_CODE} ».", domain_feeds,
                        column=name, value_set=list(seed_values(seed, "vendor_code", domain=domain)), mostly=1.0)
        if (table, name) in NOMENCLATURE_COLUMNS:
            seed, seed_column, what = NOMENCLATURE_COLUMNS[(table, name)]
            yield check(f"{prefix}.code_list", "code_list",
                        f"{column} ne contient que des codes de la nomenclature des {what} (seeds/{seed}).", feeds,
                        column=name, severity="bloquant", value_set=list(seed_values(seed, seed_column)), mostly=1.0)
        if name in IDENTIFIERS:
            pattern, what, severity = IDENTIFIERS[name]
            yield check(f"{prefix}.format", "identifier", f"{column} contient des {what} bien formés.", feeds,
                        column=name, severity=severity, regex=pattern)
        if pa.types.is_date(field.type):
            yield check(f"{prefix}.date_range", "date_range", f"{column} contient des dates vraisemblables.", feeds,
                        column=name, **_between(*DATE_RANGES.get(name, DEFAULT_DATE_RANGE)))
        elif name in VALUE_RANGES or (
            (pa.types.is_floating(field.type) or pa.types.is_decimal(field.type)) and name not in SIGNED_COLUMNS
        ):
            yield check(f"{prefix}.value_range", "value_range", f"{column} contient des valeurs dans la plage attendue.",
                        feeds, column=name, **_between(*VALUE_RANGES.get(name, (0, None))))


def raw_suites() -> Iterator[dict]:
    feeds = source_feeds()
    for kind, module in available_readers().items():
        group = "activity" if kind in ACTIVITY_READER_MODULES else kind
        files = {spec.table: spec.file_name for spec in getattr(module, "SPECS", ())}
        for table, columns in reader_columns(module).items():
            source = f"{SOURCE_LABELS[kind]}, {files.get(table, table)}"
            expectations = list(raw_checks(table, module.TABLES[table], columns, source, feeds[group]))
            if expectations:
                yield suite(table, source, RAW_KEYS, expectations)


def common_model_checks() -> Iterator[tuple[str, dict]]:
    """(table, expectation) of the common model: INCONNU shares, then the HR model's own completeness."""
    for (table, column), domain in DECODED_COLUMNS.items():
        what, feeds = DOMAINS[domain]
        yield table, check(
            f"{table}.{column}.unknown_share", "unknown_share",
            f"{COMMON_TABLES[table][0]} : la part des codes de {what} non reconnus (« {UNKNOWN_CODE} », absents de la "
            "table de correspondance) reste sous le seuil toléré.", feeds, column=column, value_set=[UNKNOWN_CODE],
            mostly=1 - UNKNOWN_TOLERANCE)
    yield "int_hr_contracts", check(
        "int_hr_contracts.finess.present", "present",
        "Chaque contrat de la DSN est rattaché à un ESMS (FINESS géographique du contrat, SIRET du lieu de travail ou "
        "SIRET déclarant associé à un FINESS dans la configuration) ; sinon ses ETP et absences ne comptent nulle part.",
        source_feeds()["dsn"], column="finess")
    yield "int_hr_job_functions", check(
        "int_hr_job_functions.is_unclassified", "flag",
        "Chaque emploi de la DSN (code PCS-ESE et libellé) est classé dans une fonction du TDB ; un emploi non classé "
        "compte dans « Autres fonctions » tant que l'association ne l'a pas classé (RH-14).", ["A2-03", "A2-07"],
        column="is_unclassified", value_set=[False], mostly=1.0)


def common_model_suites() -> Iterator[dict]:
    checks = list(common_model_checks())
    for table, (label, keys) in COMMON_TABLES.items():
        yield suite(table, label, keys, [expectation for name, expectation in checks if name == table])
    yield suite("dq_record_links", "Rattachement des enregistrements", ["link", "finess", "record_key"], [
        check(f"dq_record_links.{link}", "flag", description, feeds, column="is_linked", severity=severity,
              row_condition=f'link == "{link}"', value_set=[True], mostly=1.0)
        for link, description, severity, feeds in links()
    ])


def coherence_suites() -> Iterator[dict]:
    feeds = source_feeds()
    sheet_checks, month_checks = [], []
    for source, (name, group, missing_severity, month_severity) in COHERENCE_SOURCES.items():
        condition = f'source == "{source}"'
        sheet_checks += [
            check(f"dq_esms_coherence.{source}.in_esms_sheet", "flag",
                  f"Chaque ESMS présent dans {name} figure dans la fiche ESMS (sinon ses données ne comptent dans "
                  "aucun indicateur).", feeds[group], column="in_esms_sheet", row_condition=condition,
                  value_set=[True], mostly=1.0),
            check(f"dq_esms_coherence.{source}.in_source", "flag",
                  f"Chaque ESMS de la fiche ESMS est présent dans {name}.", feeds[group], column="in_source",
                  severity=missing_severity, row_condition=condition, value_set=[True], mostly=1.0),
        ]
        month_checks.append(
            check(f"dq_source_coverage.{source}", "flag",
                  f"{name[0].upper()}{name[1:]} couvre chaque mois attendu de chaque ESMS : un mois manquant est une "
                  "anomalie, jamais un zéro.", feeds[group], column="is_covered", severity=month_severity,
                  row_condition=condition, value_set=[True], mostly=1.0)
        )
    yield suite("dq_esms_coherence", "Cohérence des ESMS entre les sources et la fiche ESMS", ["source", "finess"],
                sheet_checks)
    yield suite("dq_source_coverage", "Mois couverts par chaque source", ["source", "finess", "year", "month"],
                month_checks)


def indicator_suites() -> Iterator[dict]:
    expectations = []
    for row in load_catalogue():
        code, label = row["code"], f"{row['code']} {row['short_label']}"
        condition = f'indicator_code == "{code}"'
        if row["unit"] == "%" and code not in SIGNED_RATES:
            share = code in SHARES
            expectations.append(check(
                f"fct_indicator_values.{code}.range", "indicator_range",
                f"{label} : " + ("chaque part est comprise entre 0 et 100 %." if share else "le taux n'est jamais négatif."),
                [code], column="value", row_condition=condition, **_between(0, 1 if share else None)))
        if code in PLAUSIBLE:
            low, high, what = PLAUSIBLE[code]
            expectations.append(check(
                f"fct_indicator_values.{code}.plausible", "plausible", f"{label} : {what}.", [code], column="value",
                row_condition=f'{condition} and period_type == "year"', **_between(low, high)))
    keys = ["finess", "indicator_code", "period_type", "year", "month", "breakdown"]
    yield suite("fct_indicator_values", "Valeurs des indicateurs", keys, expectations)
    yield suite("dq_capacity", "Journées réalisées et capacité", ["finess", "year"], [check(
        "dq_capacity.journees_vs_capacity", "plausible",
        "Les journées réalisées d'un ESMS sur l'année ne dépassent pas sa capacité : places autorisées × jours "
        "d'ouverture de la fiche ESMS.", ["A1-13", "A1-15"], column="capacity_ratio", **_between(0, CAPACITY_MAX))])
    yield suite("dq_indicator_jumps", "Variations d'un mois sur l'autre",
                ["finess", "indicator_code", "breakdown", "year", "month"], [check(
                    "dq_indicator_jumps.relative_change", "plausible",
                    "Les indicateurs mensuels ne varient pas brutalement d'un mois sur l'autre (variation relative "
                    "au-delà du seuil).", ["*"], column="relative_change", severity="info",
                    **_between(None, JUMP_MAX))])


def generate() -> list[dict]:
    return [*raw_suites(), *common_model_suites(), *coherence_suites(), *indicator_suites()]


# ---------------------------------------------------------------------------------------------------
# Files


def merge(generated: dict, existing: dict | None) -> dict:
    """The generated suite, keeping what the existing file decides: thresholds, severity and feeds of each
    check (by check_id), its own suite meta keys, and the checks written by hand."""
    if existing is None:
        return generated
    before = {e.get("meta", {}).get("check_id"): e for e in existing.get("expectations", [])}
    merged = []
    for expectation in generated["expectations"]:
        old = before.pop(expectation["meta"]["check_id"], None)
        if old is not None:
            kwargs = {k: v for k, v in expectation["kwargs"].items() if k not in TUNABLE_KWARGS}
            kwargs |= {k: old["kwargs"][k] for k in TUNABLE_KWARGS if k in old.get("kwargs", {})}
            meta = expectation["meta"] | {k: old["meta"][k] for k in TUNABLE_META if k in old.get("meta", {})}
            expectation = {**expectation, "kwargs": kwargs, "meta": meta}
        merged.append(expectation)
    merged += [e for e in before.values() if not e.get("meta", {}).get("generated")]
    return {**generated, "meta": existing.get("meta", {}) | generated["meta"], "expectations": merged}


def suite_text(value, depth: int = 0) -> str:
    """JSON indented by two spaces, lists of plain values on one line (code lists, feeds, keys)."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {suite_text(v, depth + 1)}" for k, v in value.items()]
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [f"{inner}{suite_text(v, depth + 1)}" for v in value]
    else:
        return json.dumps(value, ensure_ascii=False) + ("\n" if depth == 0 else "")
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return opening + "\n" + ",\n".join(items) + "\n" + pad + closing + ("\n" if depth == 0 else "")


def write_suites(folder: Path = EXPECTATIONS_DIR) -> dict[str, list[str]]:
    """Generate every suite and merge it into `folder`; returns the tables created and updated."""
    folder.mkdir(parents=True, exist_ok=True)
    changes: dict[str, list[str]] = {"créées": [], "mises à jour": []}
    for generated in generate():
        path = folder / f"{generated['name']}.json"
        existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        text = suite_text(merge(generated, existing))
        if existing is not None and path.read_text(encoding="utf-8") == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        changes["mises à jour" if existing is not None else "créées"].append(generated["name"])
    return changes


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[dict]:
    """Every suite of the folder (generated or written by hand), in file name order."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


if __name__ == "__main__":  # python -m pipelines.quality.suites [folder]
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else EXPECTATIONS_DIR
    for what, tables in write_suites(target).items():
        print(f"{len(tables)} suite(s) {what} dans {target}" + (f" : {', '.join(tables)}" if tables else ""))
