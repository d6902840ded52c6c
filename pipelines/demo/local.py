"""The demo's local indicator: one association (demo_enfance) adds an indicator of its own next to its
configuration (docs/definitions.md, « Indicateurs locaux »); the other demo associations do not have it."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines import PROJECT_ROOT

LOCAL_ASSOCIATION = "demo_enfance"
LOCAL_CODE = "L-01"
LOCAL_MODEL = "local_part_sorties"

# The folder as an association would keep it, committed next to the demo configurations: its single source.
SOURCE = PROJECT_ROOT / "associations" / "local" / LOCAL_ASSOCIATION
with open(SOURCE / "catalogue.csv", encoding="utf-8", newline="") as _handle:
    [CATALOGUE_ROW] = list(csv.DictReader(_handle))
MODEL_SQL = (SOURCE / "models" / f"{LOCAL_MODEL}.sql").read_text(encoding="utf-8")


def write_local_indicators(folder: Path, rows: list[dict] | None = None, models: dict[str, str] | None = None) -> Path:
    """A folder of local indicators: catalogue.csv (rows) and models/<name>.sql; the demo's by default."""
    folder = Path(folder)
    rows = rows if rows is not None else [CATALOGUE_ROW]
    models = models if models is not None else {LOCAL_MODEL: MODEL_SQL}
    (folder / "models").mkdir(parents=True, exist_ok=True)
    with open(folder / "catalogue.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(k for row in rows for k in row)),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for name, sql in models.items():
        (folder / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    return folder
