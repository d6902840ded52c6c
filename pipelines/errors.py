"""Errors shown to users: always in French, always naming the file (and line when known)."""

from __future__ import annotations

from pathlib import Path


class TdbmsError(Exception):
    """An error the command line prints as is (no traceback) before exiting with a non-zero code."""


class ConfigError(TdbmsError):
    """An association configuration that cannot be used."""


class SourceFileError(TdbmsError):
    """A source file that cannot be read at all: nothing of it is loaded."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}" + (f", ligne {line}" if line is not None else "")
        super().__init__(f"{where} : {reason}")
