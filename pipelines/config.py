"""Association configuration: one TOML file per association, validated once, with French errors.

Relative paths in a configuration are relative to the folder of that configuration file.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipelines import PROJECT_ROOT
from pipelines.errors import ConfigError, TdbmsError

ACTIVITY_FAMILIES = ("pivot", "export_csv", "classeur_xlsx", "base_sqlite")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
FINESS_PATTERN = re.compile(r"^(\d{9}|2[AB]\d{7})$")
SIRET_PATTERN = re.compile(r"^\d{14}$")
SIEGE = "siege"
TARIFF_SECTIONS_SEED = PROJECT_ROOT / "seeds" / "finance" / "tariff_sections.csv"


@dataclass(frozen=True)
class AssociationConfig:
    id: str
    name: str
    config_path: Path
    activity_family: str
    activity_path: Path
    dsn_path: Path | None
    dsn_establishments: dict[str, str]  # SIRET -> FINESS
    fec_path: Path | None
    fec_dossiers: dict[str, str]  # accounting dossier -> FINESS or "siege"
    esms_sheet_path: Path
    secret_path: Path
    output_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    fec_sections: dict[str, str] = field(default_factory=dict)  # EHPAD tariff section -> regex on CompteNum
    release: str = ""  # version of the shared definitions it runs (definitions/releases/)
    setting_overrides: dict[str, Any] = field(default_factory=dict)  # its [settings], as written
    local_dir: Path | None = None  # its own indicators (pipelines/local_indicators.py)
    local_indicators: tuple[dict, ...] = ()  # their catalogue rows
    duckdb: dict[str, Any] = field(default_factory=dict)  # [duckdb] threads, memory_limit of its connections

    @property
    def warehouse_path(self) -> Path:
        return self.output_dir / "warehouse.duckdb"

    @property
    def local_settings(self) -> dict[str, Any]:
        """Its settings that differ from the defaults of its release: values under them are local variants."""
        from pipelines.releases import get_release, release_defaults

        defaults = release_defaults(get_release(self.release))
        return {k: v for k, v in self.settings.items() if defaults.get(k) != v}


def _fail(path: Path, message: str) -> ConfigError:
    return ConfigError(f"{path} : {message}")


def _require(table: dict, key: str, path: Path, section: str = "") -> Any:
    if key not in table or table[key] in ("", None):
        where = f"[{section}] " if section else ""
        raise _fail(path, f"la clé obligatoire {where}« {key} » est absente. Ajoutez-la (voir docs/configuration.md).")
    return table[key]


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (base / candidate).resolve()


def _existing_dir(base: Path, value: str, path: Path, what: str) -> Path:
    resolved = _resolve(base, value)
    if not resolved.exists():
        raise _fail(path, f"le dossier {what} « {resolved} » n'existe pas. Vérifiez le chemin ou créez le dossier.")
    return resolved


def _finess_map(raw: dict, path: Path, section: str, key_pattern: re.Pattern | None, allow_siege: bool) -> dict:
    mapping = {}
    for key, finess in raw.items():
        key = str(key)
        if key_pattern and not key_pattern.match(key):
            raise _fail(path, f"[{section}] « {key} » n'est pas un SIRET valide (14 chiffres).")
        finess = str(finess)
        if allow_siege and finess == SIEGE:
            mapping[key] = SIEGE
            continue
        if not FINESS_PATTERN.match(finess):
            raise _fail(
                path,
                f"[{section}] « {key} » : le FINESS « {finess} » est invalide (9 caractères : chiffres, "
                "ou 2A/2B suivis de 7 chiffres).",
            )
        mapping[key] = finess
    return mapping


@cache
def tariff_sections() -> tuple[str, ...]:
    """The section codes of seeds/finance/tariff_sections.csv, in their order."""
    with open(TARIFF_SECTIONS_SEED, encoding="utf-8", newline="") as handle:
        return tuple(row["section"] for row in sorted(csv.DictReader(handle), key=lambda r: int(r["sort_order"])))


def regex_problem(pattern: str) -> str | None:
    """Why DuckDB (RE2, the engine that applies the rule) refuses a regular expression, or None."""
    with duckdb.connect() as con:
        try:
            con.execute("select regexp_matches('', ?)", [pattern]).fetchone()
        except duckdb.Error as exc:
            return str(exc).removeprefix("Invalid Input Error: ")
    return None


def _section_rules(raw: Any, path: Path) -> dict[str, str]:
    """[fec.sections] (FI-10): each tariff section of an EHPAD → a regular expression on CompteNum; all or none."""
    where = "[fec.sections]"
    if not isinstance(raw, dict):
        raise _fail(path, f"{where} doit être une table : une ligne par section, par exemple hebergement = \"^[67].*1$\".")
    known = tariff_sections()
    for section in raw:
        if section not in known:
            raise _fail(path, f"{where} section « {section} » inconnue. Sections possibles : {', '.join(known)}.")
    missing = [s for s in known if s not in raw]
    if raw and missing:
        raise _fail(path, f"{where} la règle de la section « {missing[0]} » manque : donnez une expression régulière "
                          f"pour chacune des sections {', '.join(known)}.")
    rules = {}
    for section in known if raw else ():
        pattern = raw[section]
        if not isinstance(pattern, str) or not pattern.strip():
            raise _fail(path, f"{where} {section} : attendu une expression régulière non vide entre guillemets, "
                              "par exemple \"^[67].*1$\" (comptes de classe 6 ou 7 finissant par 1).")
        if problem := regex_problem(pattern):
            raise _fail(path, f"{where} {section} = « {pattern} » : expression régulière invalide ({problem}). "
                              "Syntaxe RE2 : ni (?=…) ni références arrières.")
        rules[section] = pattern
    return rules


def load_config(path: Path, output_root: Path | None = None) -> AssociationConfig:
    """Read and validate one association file."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"{path} : fichier de configuration introuvable.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"le fichier n'est pas un TOML valide ({exc}).") from None
    base = path.parent

    assoc_id = str(_require(data, "id", path))
    if not ID_PATTERN.match(assoc_id):
        raise _fail(path, f"l'identifiant « {assoc_id} » est invalide : minuscules, chiffres et _ (2 à 40 caractères).")
    name = str(_require(data, "name", path))

    activity = data.get("activity") or {}
    family = str(_require(activity, "family", path, "activity"))
    if family not in ACTIVITY_FAMILIES:
        raise _fail(
            path, f"famille d'activité inconnue « {family} ». Valeurs possibles : {', '.join(ACTIVITY_FAMILIES)}."
        )
    activity_path = _existing_dir(base, _require(activity, "path", path, "activity"), path, "des extractions d'activité")

    dsn = data.get("dsn") or {}
    dsn_path = _existing_dir(base, dsn["path"], path, "DSN") if dsn.get("path") else None
    dsn_map = _finess_map(dsn.get("establishments") or {}, path, "dsn.establishments", SIRET_PATTERN, False)
    if dsn_path and not dsn_map:
        raise _fail(path, "[dsn.establishments] doit associer chaque SIRET déclarant à un FINESS.")

    fec = data.get("fec") or {}
    fec_path = _existing_dir(base, fec["path"], path, "FEC") if fec.get("path") else None
    fec_map = _finess_map(fec.get("dossiers") or {}, path, "fec.dossiers", None, True)
    if fec_path and not fec_map:
        raise _fail(path, "[fec.dossiers] doit associer chaque dossier comptable à un FINESS (ou à « siege »).")
    fec_sections = _section_rules(fec.get("sections") or {}, path)

    sheet = data.get("esms_sheet") or {}
    sheet_path = _resolve(base, _require(sheet, "path", path, "esms_sheet"))
    if not sheet_path.exists():
        raise _fail(path, f"la fiche ESMS « {sheet_path} » est introuvable. `tdbms esms-template` en crée une.")

    secret = data.get("secret") or {}
    secret_path = _resolve(base, _require(secret, "path", path, "secret"))
    if _is_inside(secret_path, PROJECT_ROOT) and not _is_inside(secret_path, PROJECT_ROOT / "output"):
        raise _fail(path, f"le secret « {secret_path} » doit être hors du dépôt (par exemple ~/.config/tdbms/).")

    # Every output of the association lives in <output root>/<id>/ (profiles.yml resolves the DuckDB file
    # from the root and the id). The root is the command line's, else the configuration's, else output/.
    output = data.get("output") or {}
    if output_root is None:
        output_root = _resolve(base, output["root"]) if output.get("root") else PROJECT_ROOT / "output"
    output_dir = Path(output_root).resolve() / assoc_id

    from pipelines.local_indicators import load_local_indicators  # local imports: they read the project files
    from pipelines.releases import get_release, release_defaults
    from pipelines.settings import validate_settings

    definitions = data.get("definitions") or {}
    try:
        release = get_release(definitions.get("release"))
    except TdbmsError as exc:
        raise _fail(path, f"[definitions] release : {exc}") from None
    overrides = data.get("settings") or {}
    settings = validate_settings(overrides, path, release_defaults(release))
    local_dir = _existing_dir(base, definitions["local"], path, "des indicateurs locaux") if definitions.get("local") else None
    resources = _duckdb_resources(data.get("duckdb") or {}, path)
    return AssociationConfig(
        id=assoc_id, name=name, config_path=path, activity_family=family, activity_path=activity_path,
        dsn_path=dsn_path, dsn_establishments=dsn_map, fec_path=fec_path, fec_dossiers=fec_map,
        esms_sheet_path=sheet_path, secret_path=secret_path, output_dir=output_dir, settings=settings,
        fec_sections=fec_sections, release=release.version, setting_overrides=dict(overrides), local_dir=local_dir,
        local_indicators=load_local_indicators(local_dir) if local_dir else (), duckdb=resources,
    )


MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*[KMGT]i?B$", re.IGNORECASE)


def _duckdb_resources(raw: dict, path: Path) -> dict[str, Any]:
    """[duckdb]: the threads and memory limit of the association's DuckDB connections (ingestion and dbt), for an
    operator running several associations on one machine. Absent: DuckDB's defaults (every core, 80 % of RAM)."""
    unknown = sorted(set(raw) - {"threads", "memory_limit"})
    if unknown:
        raise _fail(path, f"[duckdb] : clé(s) inconnue(s) {', '.join(unknown)} (possibles : threads, memory_limit).")
    threads = raw.get("threads")
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 256):
        raise _fail(path, f"[duckdb] threads = {threads!r} : un nombre entier de 1 à 256 est attendu.")
    limit = raw.get("memory_limit")
    if limit is not None and not (isinstance(limit, str) and MEMORY_LIMIT.match(limit.strip())):
        raise _fail(path, f"[duckdb] memory_limit = {limit!r} : une taille est attendue, par exemple « 2GB » ou « 512MiB ».")
    return {key: value.strip() if isinstance(value, str) else value for key, value in raw.items()}


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def load_configs(target: Path, output_root: Path | None = None) -> list[AssociationConfig]:
    """A configuration file, or a folder of them (``*.toml``), sorted by id; ids must be unique."""
    target = Path(target)
    if target.is_dir():
        files = sorted(target.glob("*.toml"))
        if not files:
            raise ConfigError(f"{target} : aucun fichier de configuration d'association (*.toml) dans ce dossier.")
    elif target.is_file():
        files = [target]
    else:
        raise ConfigError(f"{target} : ni fichier ni dossier de configuration.")
    configs = [load_config(f, output_root) for f in files]
    seen: dict[str, Path] = {}
    for cfg in configs:
        if cfg.id in seen:
            raise ConfigError(f"{cfg.config_path} : l'identifiant « {cfg.id} » est déjà utilisé par {seen[cfg.id]}.")
        seen[cfg.id] = cfg.config_path
    return sorted(configs, key=lambda c: c.id)


def find_config(target: Path, association: str, output_root: Path | None = None) -> AssociationConfig:
    """`association` is an id (looked up in `target`) or a path to a configuration file."""
    candidate = Path(association)
    if candidate.suffix == ".toml" and candidate.exists():
        return load_config(candidate, output_root)
    for cfg in load_configs(target, output_root):
        if cfg.id == association:
            return cfg
    raise ConfigError(f"association « {association} » introuvable dans {target}.")
