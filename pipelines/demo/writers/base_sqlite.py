"""Write activity facts as a family-3 vendor database (one SQLite file, ISO dates as text, code tables).

Stays and absences become an event stream: a stay is an `ADM` (and a `DIS` when it ends), so a mode
change is a `DIS` and an `ADM` the same day; an absence is a `HOSP_OUT`/`LEAVE_OUT` on its first day and
a `HOSP_IN`/`LEAVE_IN` on the return day (last day + 1), left out when the person does not come back
before the discharge (AC-02). The vendor's déficience list numbers its labels in alphabetical order,
not in the common nomenclature's: the reader must map them by label.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from pipelines.demo.facts import ActivityFacts
from pipelines.demo.writers import hospital_motives, integer_ids, vendor_codes

DDL = """
create table facility (facility_id integer primary key, finess text not null, name text);
create table disability (code text primary key, label text not null);
create table patient (
    patient_id integer primary key, last_name text, first_name text, ssn text, gender text, birth_date text,
    main_disability_code text, protection integer
);
create table patient_disability (patient_id integer not null, disability_code text not null);
create table movement (
    movement_id integer primary key, patient_id integer not null, facility_id integer not null,
    movement_date text not null, movement_type text not null, care_mode text, origin text, reason text
);
create table dependency_assessment (patient_id integer not null, assessed_on text not null, gir integer,
    pathos_points integer);
create table appointment (
    appointment_id integer primary key, patient_id integer not null, facility_id integer not null,
    scheduled_on text not null, status text not null, kind text
);
create table attendance (patient_id integer not null, facility_id integer not null, attended_on text not null);
"""
# same-day order of the events, as the software records them: returns and discharges, then admissions, then leaves
EVENT_ORDER = {"DIS": 0, "HOSP_IN": 1, "LEAVE_IN": 1, "ADM": 2, "HOSP_OUT": 3, "LEAVE_OUT": 3}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _file_date(facts: ActivityFacts) -> dt.date:
    dated = [s.entry for s in facts.stays] + [s.exit for s in facts.stays if s.exit]
    return facts.extraction_date or max(dated, default=dt.date(2000, 1, 1))


def write(facts: ActivityFacts, out: Path) -> list[Path]:
    codes = vendor_codes("base_sqlite")

    def code(domain: str, common: str | None) -> str | None:
        return codes.get((domain, common), common) if common else None

    # the vendor's list: every mapped label, plus the codes of the facts no mapping knows (kept as their own
    # label, as a vendor would have them: the reader maps them to INCONNU, AC-27)
    used = {d for p in facts.persons for d in (p.main_deficiency, *p.associated_deficiencies) if d}
    labels = sorted({vendor for (domain, _), vendor in codes.items() if domain == "deficiency"}
                    | {code("deficiency", d) for d in used})
    disability = {label: f"D{rank:02d}" for rank, label in enumerate(labels, start=1)}

    def disability_code(common: str | None) -> str | None:
        return disability.get(code("deficiency", common)) if common else None

    patients = integer_ids(p.person_id for p in facts.persons)
    facilities = {finess: rank for rank, finess in enumerate(sorted({s.finess for s in facts.stays}), start=1)}
    stays = {s.stay_id: s for s in facts.stays}
    hospital = hospital_motives()

    events = []
    for s in facts.stays:
        where = (patients[s.person_id], facilities[s.finess])
        events.append((s.entry, "ADM", *where, code("mode", s.mode), code("provenance", s.provenance), None))
        if s.exit:
            events.append((s.exit, "DIS", *where, code("mode", s.mode), None, code("exit_motive", s.exit_motive)))
    for a in facts.absences:
        s = stays[a.stay_id]
        where = (patients[s.person_id], facilities[s.finess])
        kind = "HOSP" if a.motive in hospital else "LEAVE"
        back = a.last_day + dt.timedelta(days=1)
        events.append((a.first_day, f"{kind}_OUT", *where, None, None, None))
        if s.exit is None or back < s.exit:
            events.append((back, f"{kind}_IN", *where, None, None, None))
    events.sort(key=lambda e: (e[0], EVENT_ORDER[e[1]], e[2], e[3]))

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"dossier_usager_{_file_date(facts):%Y-%m-%d}.sqlite"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.executescript(DDL)
        con.executemany("insert into facility values (?, ?, ?)",
                        [(i, finess, f"Établissement {finess}") for finess, i in facilities.items()])
        con.executemany("insert into disability values (?, ?)", [(c, label) for label, c in disability.items()])
        con.executemany("insert into patient values (?, ?, ?, ?, ?, ?, ?, ?)", [
            (patients[p.person_id], p.last_name, p.first_name, p.nir, p.sex, _iso(p.birth_date),
             disability_code(p.main_deficiency), None if p.protection is None else int(p.protection))
            for p in facts.persons
        ])
        con.executemany("insert into patient_disability values (?, ?)", [
            (patients[p.person_id], disability_code(d)) for p in facts.persons for d in p.associated_deficiencies
        ])
        con.executemany(
            "insert into movement values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(n, patient, facility, _iso(day), kind, mode, origin, reason)
             for n, (day, kind, patient, facility, mode, origin, reason) in enumerate(events, start=1)],
        )
        con.executemany("insert into dependency_assessment values (?, ?, ?, ?)", [
            (patients[a.person_id], _iso(a.assessed_on), a.gir, a.pathos_points) for a in facts.assessments
        ])
        con.executemany("insert into appointment values (?, ?, ?, ?, ?, ?)", [
            (n, patients[stays[a.stay_id].person_id], facilities[stays[a.stay_id].finess], _iso(a.day),
             code("act_status", a.status), a.kind)
            for n, a in enumerate(facts.acts, start=1)
        ])
        con.executemany("insert into attendance values (?, ?, ?)", [
            (patients[stays[a.stay_id].person_id], facilities[stays[a.stay_id].finess], _iso(a.day))
            for a in facts.attendance
        ])
        con.commit()
    finally:
        con.close()
    return [path]
