"""Write an ESMS sheet (données de caractérisation) as the CSV variant of activity_sources.md."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.readers.esms_sheet import COLUMNS


def write_esms_sheet(path: Path, rows: list[dict]) -> Path:
    """`rows`: dicts keyed by the sheet's column names (missing keys are left empty). `;`, decimal comma."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(list(COLUMNS))
        for row in rows:
            writer.writerow(["" if row.get(c) is None else str(row[c]).replace(".", ",") if isinstance(row.get(c), float) else row[c] for c in COLUMNS])
    return path
