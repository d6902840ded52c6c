"""Commands of feature modules: each module here exposes COMMANDS, a list of click commands or groups,
added to `tdbms` by pipelines/cli.py (so that a feature brings its commands without editing the CLI)."""

from __future__ import annotations

import importlib
import pkgutil

import click


def feature_commands() -> list[click.Command]:
    commands: list[click.Command] = []
    for module in pkgutil.iter_modules(__path__):
        commands += importlib.import_module(f"{__name__}.{module.name}").COMMANDS
    return commands
