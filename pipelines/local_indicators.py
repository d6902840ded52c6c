"""An association's own indicators, next to its configuration, without forking the shared definitions.

The folder named by `[definitions] local` holds `catalogue.csv` (rows with the columns of
seeds/indicator_catalogue.csv; code, label, short_label, unit and model are required) and `models/`
(one dbt model per indicator, written as the shared ones: `indicator_select('<code>')`). Codes take the
reserved prefix « L- ». dbt reads the models through the var `local_models_path` (a model path of
dbt_project.yml) and the rows through the var `local_indicators` (model dim_indicators): nothing is
copied into the shared project, and other associations never see them.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

from pipelines import PROJECT_ROOT
from pipelines.catalogue import CATALOGUE_PATH, load_catalogue
from pipelines.errors import ConfigError

LOCAL_PREFIX = "L-"
CODE_PATTERN = re.compile(r"^L-[A-Z0-9][A-Z0-9-]{0,15}$")
MODEL_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
REQUIRED = ("code", "label", "short_label", "unit", "model")
DEFAULTS = {"confidence": "local", "definition_version": "local", "applicable_categories": "tous",
            "axis_label": "Indicateurs locaux"}


@cache
def shared_names() -> frozenset[str]:
    """Names a local model may not take: every model, seed, snapshot or macro file of the shared project."""
    folders = [PROJECT_ROOT / name for name in ("models", "seeds", "macros")]
    return frozenset(p.stem for folder in folders for p in folder.rglob("*") if p.suffix in (".sql", ".csv"))


def load_local_indicators(folder: Path) -> tuple[dict, ...]:
    """The catalogue rows of the local indicators, checked against the shared definitions."""
    path = folder / "catalogue.csv"
    if not path.is_file():
        raise ConfigError(f"{path} : catalogue des indicateurs locaux introuvable (voir docs/definitions.md).")
    columns = list(load_catalogue(CATALOGUE_PATH)[0])
    shared_codes = {row["code"] for row in load_catalogue(CATALOGUE_PATH)}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows = [(line, row) for line, row in enumerate(reader, 2)]
    except UnicodeDecodeError:
        raise ConfigError(f"{path} : le fichier doit être encodé en UTF-8.") from None
    unknown = [c for c in header if c not in columns]
    if unknown or any(c not in header for c in REQUIRED):
        raise ConfigError(f"{path}, ligne 1 : colonnes attendues {', '.join(REQUIRED)} (et au choix celles de "
                          f"seeds/indicator_catalogue.csv) ; colonne(s) inconnue(s) : {', '.join(unknown) or 'aucune'}.")
    models_dir = folder / "models"
    seen: dict[str, int] = {}
    result = []
    for line, row in rows:
        where = f"{path}, ligne {line}"
        code, model = row["code"].strip(), row["model"].strip()
        if code in shared_codes:
            raise ConfigError(f"{where} : le code « {code} » est celui d'un indicateur partagé. Un indicateur local "
                              f"prend un code propre commençant par « {LOCAL_PREFIX} ».")
        if not CODE_PATTERN.match(code):
            raise ConfigError(f"{where} : code « {code} » invalide : un indicateur local commence par "
                              f"« {LOCAL_PREFIX} » suivi de majuscules, chiffres ou tirets (par exemple L-01).")
        if code in seen:
            raise ConfigError(f"{where} : le code « {code} » est déjà donné ligne {seen[code]}.")
        seen[code] = line
        if not MODEL_PATTERN.match(model):
            raise ConfigError(f"{where} : nom de modèle « {model} » invalide (minuscules, chiffres et _).")
        if model in shared_names():
            raise ConfigError(f"{where} : le modèle « {model} » porte le nom d'un modèle ou d'une table des "
                              "définitions partagées. Choisissez un autre nom (par exemple préfixé local_).")
        if not (models_dir / f"{model}.sql").is_file():
            raise ConfigError(f"{where} : le modèle « {models_dir / (model + '.sql')} » est introuvable.")
        for field in REQUIRED:
            if not row[field].strip():
                raise ConfigError(f"{where} : la colonne « {field} » est vide.")
        values = DEFAULTS | {k: v.strip() for k, v in row.items() if k in columns and v and v.strip()}
        if values.get("axis"):
            if not values["axis"].isdigit():
                raise ConfigError(f"{where} : axis doit être un nombre (1 à 4), ou vide.")
            values["axis"] = int(values["axis"])
        result.append(values)
    for sql in sorted(models_dir.glob("*.sql")) if models_dir.is_dir() else ():
        if sql.stem in shared_names():
            raise ConfigError(f"{sql} : ce modèle porte le nom d'un modèle ou d'une table des définitions "
                              "partagées. Choisissez un autre nom (par exemple préfixé local_).")
    if not result:
        raise ConfigError(f"{path} : aucun indicateur local dans ce catalogue.")
    return tuple(result)


def stage_local_models(source: Path, staging: Path) -> Path:
    """A fresh copy of the local models for one dbt invocation. dbt writes the compiled SQL of a model
    found outside the project over its own file (target path + absolute path = that path): it must never
    be the association's file, so dbt reads this copy, made again before every invocation."""
    import shutil

    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    return staging
