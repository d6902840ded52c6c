"""Writers of activity facts, one per family, in that family's exact format (demo and test fixtures)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from pipelines.demo.facts import ActivityFacts

Writer = Callable[[ActivityFacts, Path], list[Path]]


def writer(family: str) -> Writer:
    return importlib.import_module(f"pipelines.demo.writers.{family}").write
