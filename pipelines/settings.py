"""Settings of the shared definitions: names and defaults are the `vars` of dbt_project.yml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines import PROJECT_ROOT
from pipelines.errors import ConfigError

PIPELINE_VARS = {"association", "output_root", "indicator_models", "activity_families"}


@cache
def default_settings() -> dict[str, Any]:
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return {k: v for k, v in project["vars"].items() if k not in PIPELINE_VARS}


def validate_settings(overrides: dict[str, Any], config_path: Path) -> dict[str, Any]:
    """Merge an association's overrides with the defaults; unknown names or types are refused."""
    defaults = default_settings()
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


def local_variants(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings that differ from the shared defaults (values computed under them are local variants)."""
    defaults = default_settings()
    return {k: v for k, v in settings.items() if defaults.get(k) != v}
