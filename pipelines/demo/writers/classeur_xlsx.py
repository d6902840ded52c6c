"""Write activity facts as family-2 monthly billing workbooks `facturation_AAAA-MM.xlsx` (openpyxl).

One workbook per month, from the month of the earliest fact to the month of the latest one (at least the
month before the extraction date, so that open stays are billed until then). Journees counts follow the
decisions: residential modes bill the days of [entry, exit) minus absence days (AC-01, AC-02, AC-12);
a day in two absences counts once, hospitalisation first (AC-24); day modes bill the attendance days;
services bill the days of the accompagnement (the day between a stay and its next-day continuation
included) minus absence days. Acts and the Creton flag have no place in this format (AC-21).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook

from pipelines.demo.facts import ActivityFacts, Stay
from pipelines.demo.writers import hospital_motives, integer_ids, seed_rows, vendor_codes
from pipelines.readers.classeur_xlsx import SPECS, TOTAL_LABEL

SEX = {"M": 1, "F": 2}
Month = dt.date  # first day of the month
Billed = dict[tuple[str, Month], list[int]]  # (stay id, month) → [present, absent hospital, absent other]


def _month(day: dt.date) -> Month:
    return day.replace(day=1)


def _next_month(month: Month) -> Month:
    return (month + dt.timedelta(days=32)).replace(day=1)


def _days(first: dt.date, stop: dt.date) -> Iterator[dt.date]:
    for offset in range((stop - first).days):
        yield first + dt.timedelta(days=offset)


def _months(facts: ActivityFacts) -> list[Month]:
    dated = [
        *(s.entry for s in facts.stays), *(s.exit for s in facts.stays if s.exit),
        *(a.last_day for a in facts.absences), *(a.day for a in facts.attendance),
        *(a.assessed_on for a in facts.assessments),
    ]
    if not dated:
        return []
    first, last = _month(min(dated)), _month(max(dated))
    if facts.extraction_date:
        last = max(last, _month(_month(facts.extraction_date) - dt.timedelta(days=1)))
    months = [first]
    while months[-1] < last:
        months.append(_next_month(months[-1]))
    return months


def billed_days(facts: ActivityFacts, until: dt.date) -> Billed:
    """Days billed per stay × month, for the days before `until`."""
    modes = {r["mode"]: r for r in seed_rows("nomenclatures/modes.csv")}
    hospital = hospital_motives()
    entries = {(s.person_id, s.finess, s.entry) for s in facts.stays}
    absences, attended = defaultdict(list), defaultdict(set)
    for a in facts.absences:
        absences[a.stay_id].append(a)
    for a in facts.attendance:
        attended[a.stay_id].add(a.day)
    billed: Billed = {}
    for stay in facts.stays:
        exit_ = min(stay.exit or until, until)
        continued = stay.exit and (stay.person_id, stay.finess, stay.exit + dt.timedelta(days=1)) in entries
        end = min(exit_ + dt.timedelta(days=1), until) if continued else exit_
        away_hospital, away_other = set(), set()
        for a in absences[stay.stay_id]:
            away = _days(max(a.first_day, stay.entry), min(a.last_day + dt.timedelta(days=1), exit_))
            (away_hospital if a.motive in hospital else away_other).update(away)
        mode = modes.get(stay.mode, {})
        day_mode, service = mode.get("is_day_mode") == "true", mode.get("is_service") == "true"
        for day in _days(stay.entry, end):
            counts = billed.setdefault((stay.stay_id, _month(day)), [0, 0, 0])
            if day in away_hospital:
                counts[1] += 1
            elif day in away_other:
                counts[2] += 1
            elif not day_mode and (day < exit_ or service):
                counts[0] += 1
        if day_mode:
            for day in attended[stay.stay_id]:
                if (stay.stay_id, _month(day)) in billed:
                    billed[stay.stay_id, _month(day)][0] += 1
    return billed


def write(facts: ActivityFacts, out: Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    months = _months(facts)
    if not months:
        return []
    codes = vendor_codes("classeur_xlsx")
    ids = integer_ids(p.person_id for p in facts.persons)
    persons = {p.person_id: p for p in facts.persons}
    billed = billed_days(facts, _next_month(months[-1]))

    def code(domain: str, common: str | None) -> str | None:
        return codes.get((domain, common), common) if common else None

    movements: dict[Month, list[tuple[dt.date, int, Stay]]] = defaultdict(list)
    for stay in facts.stays:
        movements[_month(stay.entry)].append((stay.entry, 1, stay))
        if stay.exit:
            movements[_month(stay.exit)].append((stay.exit, 0, stay))  # an exit before an entry the same day
    stays = {s.stay_id: s for s in facts.stays}
    journees: dict[Month, list[tuple[Stay, list[int]]]] = defaultdict(list)
    for (stay_id, month), counts in billed.items():
        journees[month].append((stays[stay_id], counts))
    evaluations: dict[Month, list] = defaultdict(list)
    for a in sorted(facts.assessments, key=lambda a: a.assessed_on):
        evaluations[_month(a.assessed_on)].append(a)

    written = []
    for month in months:
        moves = sorted(movements[month], key=lambda m: (m[0], m[1], ids[m[2].person_id]))
        days_rows = sorted(journees[month], key=lambda j: (ids[j[0].person_id], j[0].finess, j[0].mode, j[0].entry))
        concerned = {s.person_id for _, _, s in moves} | {s.person_id for s, _ in days_rows}
        concerned |= {a.person_id for a in evaluations[month]}
        sheets = {
            "Residents": [
                [ids[p.person_id], p.last_name, p.first_name, SEX.get(p.sex), p.birth_date,
                 code("deficiency", p.main_deficiency),
                 ",".join(code("deficiency", d) for d in p.associated_deficiencies) or None,
                 p.current_gir, None if p.protection is None else int(p.protection)]
                for p in sorted((persons[i] for i in concerned), key=lambda p: ids[p.person_id])
            ],
            "Mouvements": [
                [ids[s.person_id], s.finess, "E" if entry else "S", day, code("mode", s.mode),
                 code("provenance", s.provenance) if entry else None,
                 None if entry else code("exit_motive", s.exit_motive)]
                for day, entry, s in moves
            ],
            "Journees": [
                [ids[s.person_id], s.finess, code("mode", s.mode), s.entry, *counts] for s, counts in days_rows
            ] + [[TOTAL_LABEL, None, None, None, *(sum(c[i] for _, c in days_rows) for i in range(3))]],
            "Evaluations": [[ids[a.person_id], a.assessed_on, a.gir, a.pathos_points] for a in evaluations[month]],
        }
        workbook = Workbook(write_only=True)
        workbook.properties.title = f"État de facturation {month:%m/%Y}"  # two months never make the same file
        for spec in SPECS:
            sheet = workbook.create_sheet(spec.file_name)
            sheet.append([c.header for c in spec.columns])
            for row in sheets[spec.file_name]:
                sheet.append(row)
        path = out / f"facturation_{month:%Y-%m}.xlsx"
        workbook.save(path)
        written.append(path)
    return written
