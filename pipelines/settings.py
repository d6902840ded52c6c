"""Settings of the shared definitions: names and defaults are the `vars` of dbt_project.yml."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines import PROJECT_ROOT
from pipelines.errors import ConfigError

PIPELINE_VARS = {"association", "output_root", "indicator_models", "activity_families", "definitions_release",
                 "catalogue_overrides", "variant_decisions", "local_indicators", "local_models_path"}


@cache
def default_settings() -> dict[str, Any]:
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return {k: v for k, v in project["vars"].items() if k not in PIPELINE_VARS}


@cache
def setting_decisions() -> dict[str, str]:
    """Setting -> the decision id it settles, from the comments of the vars of dbt_project.yml."""
    pattern = re.compile(r"^\s+(\w+):[^#]*#\s*([A-Z]{2}-\d{2})")
    text = (PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in map(pattern.match, text.splitlines()) if m}


def validate_settings(overrides: dict[str, Any], config_path: Path, defaults: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
    """Merge an association's overrides with the defaults (of its release); unknown names or types are refused."""
    defaults = defaults or default_settings()
    merged = dict(defaults)
    for name, value in overrides.items():
        if name not in defaults:
            raise ConfigError(
                f"{config_path} : paramètre inconnu « {name} » dans [settings]. "
                f"Paramètres possibles : {', '.join(sorted(defaults))}."
            )
        expected = type(defaults[name])
        if expected is int and isinstance(value, bool) or not isinstance(value, expected):
            raise ConfigError(
                f"{config_path} : [settings] « {name} » doit être de type {expected.__name__} "
                f"(valeur reçue : {value!r})."
            )
        merged[name] = value
    return merged


def variant_decisions(local_settings: dict[str, Any]) -> list[str]:
    """The decision ids settled differently by an association's local settings; "*" when a setting's decision
    is not known (every value is then marked, conservatively)."""
    known = setting_decisions()
    return sorted({known.get(name, "*") for name in local_settings})
