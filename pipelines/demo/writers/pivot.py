"""Write activity facts in the pivot format (UTF-8 CSV of the common model, docs/pivot.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.demo.facts import ActivityFacts
from pipelines.readers.pivot import SPECS


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(value)
    return str(value)


def write_rows(out: Path, rows: dict[str, list[list]]) -> list[Path]:
    """Write pivot files from rows already in column order (shared with `tdbms export-pivot`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SPECS:
        path = out / spec.file_name
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([c.header for c in spec.columns])
            writer.writerows([[_text(v) for v in row] for row in rows.get(spec.file_name, [])])
        written.append(path)
    return written


def write(facts: ActivityFacts, out: Path) -> list[Path]:
    return write_rows(out, {
        "persons.csv": [
            [p.person_id, p.sex, p.birth_date, p.main_deficiency, p.associated_deficiencies, p.protection,
             p.mdph_orientation, p.current_gir]
            for p in facts.persons
        ],
        "stays.csv": [
            [s.stay_id, s.person_id, s.finess, s.mode, s.entry, s.exit, s.provenance, s.exit_motive, s.creton]
            for s in facts.stays
        ],
        "absences.csv": [[a.stay_id, a.first_day, a.last_day, a.motive] for a in facts.absences],
        "attendance_days.csv": [[a.stay_id, a.day] for a in facts.attendance],
        "acts.csv": [[a.act_id, a.stay_id, a.day, a.kind, a.status] for a in facts.acts],
        "assessments.csv": [[a.person_id, a.assessed_on, a.gir, a.pathos_points] for a in facts.assessments],
    })
