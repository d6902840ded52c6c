"""Write activity facts as a family-1 extraction (cp1252, `;`, CRLF, JJ/MM/AAAA, French labels)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from pipelines import PROJECT_ROOT
from pipelines.demo.facts import ActivityFacts
from pipelines.readers.export_csv import SPECS

MAPPING = PROJECT_ROOT / "seeds" / "mappings" / "export_csv__codes.csv"


def _labels() -> dict[tuple[str, str], str]:
    """common code → the vendor label (first one listed in the mapping seed)."""
    labels: dict[tuple[str, str], str] = {}
    with open(MAPPING, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            labels.setdefault((row["domain"], row["common_code"]), row["vendor_code"])
    return labels


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Oui" if value else "Non")


def write(facts: ActivityFacts, out: Path) -> list[Path]:
    """One extraction folder `extraction_<date>/` with the five files."""
    labels = _labels()

    def label(domain: str, code: str | None) -> str:
        return labels.get((domain, code), code) if code else ""

    latest_gir = {}
    for a in sorted(facts.assessments, key=lambda a: a.assessed_on):
        if a.gir is not None:
            latest_gir[a.person_id] = a
    rows = {
        "usagers.csv": [
            [
                p.person_id, p.last_name, p.first_name, p.sex, _date(p.birth_date), p.nir or "",
                label("deficiency", p.main_deficiency),
                "|".join(label("deficiency", d) for d in p.associated_deficiencies),
                str(latest_gir[p.person_id].gir) if p.person_id in latest_gir else "",
                _date(latest_gir[p.person_id].assessed_on) if p.person_id in latest_gir else "",
                _yes_no(p.protection), _yes_no(p.mdph_orientation),
            ]
            for p in facts.persons
        ],
        "sejours.csv": [
            [
                s.stay_id, s.person_id, s.finess, label("mode", s.mode), _date(s.entry), _date(s.exit),
                label("provenance", s.provenance), label("exit_motive", s.exit_motive), _yes_no(s.creton),
            ]
            for s in facts.stays
        ],
        "absences.csv": [
            [a.stay_id, _date(a.first_day), _date(a.last_day), label("absence_motive", a.motive)] for a in facts.absences
        ],
        "presences.csv": [[a.stay_id, _date(a.day)] for a in facts.attendance],
        "actes.csv": [[a.stay_id, _date(a.day), a.kind, label("act_status", a.status)] for a in facts.acts],
    }
    folder = Path(out) / f"extraction_{(facts.extraction_date or dt.date.today()).isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SPECS:
        path = folder / spec.file_name
        with open(path, "w", encoding="cp1252", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow([c.header for c in spec.columns])
            writer.writerows(rows[spec.file_name])
        written.append(path)
    return written
