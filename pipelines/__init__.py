"""tdbms: the TDB MS indicator warehouse, one pipeline instance per association."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
