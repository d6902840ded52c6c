"""Deterministic activity facts for a demo association: persons, stays, absences, attendance, acts.

Each authorised place is simulated as a timeline of successive persons (a stay, a short vacancy, the
next stay...), so that occupation, admissions and exits look like a real ESMS: residential places near
full, temporary places turning over, day places shared by part-time persons, services by the act.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from pipelines.demo.facts import Absence, Act, ActivityFacts, Assessment, Attendance, Person, Stay

FIRST_NAMES = ["Léa", "Hugo", "Chloé", "Louis", "Inès", "Jules", "Zoé", "Noé", "Anaïs", "Théo", "Maëlle", "Élias",
               "Françoise", "René", "Gisèle", "Hervé", "Josée", "Cécile", "Benoît", "Aurélie"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Pelletier", "Durand", "Leroy", "Moreau",
              "Lefèvre", "Garnier", "Chevalier", "François", "Mercier", "Boyer", "Blanchard", "Guérin", "Faure", "Rousseau"]
DEFICIENCIES = ["DI", "TSA", "TP", "TLA", "DA", "DV", "DM", "DMV", "CL", "PH", "TCC", "DEC", "AUT"]
PROVENANCES = ["DOM", "DOM", "DOM", "SAN", "MS", "INC"]
EXIT_MOTIVES = ["DOM", "DOM", "REOR", "HOSP", "INC"]
# mode -> (stay length range in days, vacancy between two persons in days)
STAY_PATTERN = {
    "HP": ((300, 2200), (2, 25)), "INT": ((400, 2000), (5, 40)), "SEMI": ((300, 1500), (5, 40)),
    "EXT": ((500, 3000), (5, 40)), "SERV": ((150, 900), (3, 30)), "HT": ((7, 60), (2, 20)),
    "AJ": ((200, 1200), (5, 30)),
}
PERSONS_PER_PLACE = {"AJ": 2}  # day-care places are shared by persons coming two or three days a week


@dataclass(frozen=True)
class DemoEsms:
    finess: str
    category_code: str
    name: str
    modes: dict[str, int]  # mode -> places autorisées
    age_min: int | None = None
    age_max: int | None = None
    counts_acts: bool = False


class _Builder:
    def __init__(self, rng: random.Random, first: dt.date, last: dt.date, id_prefix: str):
        self.rng, self.first, self.last, self.prefix = rng, first, last, id_prefix
        self.facts = ActivityFacts(extraction_date=last + dt.timedelta(days=31))
        self.count = 0

    def person(self, esms: DemoEsms, entry: dt.date) -> Person:
        rng = self.rng
        self.count += 1
        low, high = _age_at_entry(esms, rng)
        birth = entry - dt.timedelta(days=rng.randint(low * 365, high * 365 + 364))
        person = Person(
            f"{self.prefix}{self.count:06d}", rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), rng.choice("MFF"),
            birth if rng.random() > 0.02 else None,
            nir=f"{rng.choice('12')}{birth.year % 100:02d}{birth.month:02d}{rng.randint(1, 95):02d}"
                f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}",
            main_deficiency=None if esms.category_code == "500" or rng.random() < 0.04 else rng.choice(DEFICIENCIES),
            associated_deficiencies=sorted({rng.choice(DEFICIENCIES[:9]) for _ in range(rng.randint(0, 2))}),
            protection=rng.random() < (0.6 if esms.category_code in ("255", "448", "449", "500") else 0.15),
            mdph_orientation=esms.category_code != "500",
        )
        self.facts.persons.append(person)
        return person

    def stays_of_place(self, esms: DemoEsms, mode: str) -> None:
        rng = self.rng
        (short, long), (gap_min, gap_max) = STAY_PATTERN[mode]
        day = self.first - dt.timedelta(days=rng.randint(0, long))
        while day <= self.last:
            length = rng.randint(short, long)
            exit_ = day + dt.timedelta(days=length)
            person = self.person(esms, day)
            self.stay(esms, mode, person, day, exit_ if exit_ <= self.last else None)
            day = exit_ + dt.timedelta(days=rng.randint(gap_min, gap_max))

    def stay(self, esms: DemoEsms, mode: str, person: Person, entry: dt.date, exit_: dt.date | None) -> None:
        rng = self.rng
        motive = None
        if exit_:
            deadly = esms.category_code in ("500", "255") and mode in ("HP",)
            motive = "DC" if deadly and rng.random() < 0.6 else rng.choice(EXIT_MOTIVES)
        creton = bool(esms.age_max and esms.age_max <= 20 and person.birth_date
                      and (self.last - person.birth_date).days > 365 * (esms.age_max + 1))
        stay_id = f"S{self.count:06d}"
        other = [m for m in esms.modes if m not in (mode, "HT", "AJ", "SERV")]
        end = exit_ or self.last
        stays = []
        if other and mode in ("INT", "SEMI", "EXT", "HP") and rng.random() < 0.12 and (end - entry).days > 90:
            change = entry + dt.timedelta(days=rng.randint(30, (end - entry).days - 30))
            stays.append(Stay(stay_id + "a", person.person_id, esms.finess, mode, entry, change,
                              rng.choice(PROVENANCES), None, creton))
            stays.append(Stay(stay_id, person.person_id, esms.finess, rng.choice(other), change, exit_, None, motive, creton))
        else:
            stays.append(Stay(stay_id, person.person_id, esms.finess, mode, entry, exit_, rng.choice(PROVENANCES),
                              motive, creton))
        self.facts.stays.extend(stays)
        for stay in stays:
            self.days_of_stay(esms, stay)
        if esms.category_code == "500" and mode in ("HP", "HT"):
            day = entry
            while day < end:
                self.facts.assessments.append(Assessment(
                    person.person_id, day, rng.choices([1, 2, 3, 4, 5, 6], [8, 27, 20, 25, 12, 8])[0],
                    rng.randint(90, 420) if rng.random() < 0.8 else None))
                day += dt.timedelta(days=rng.randint(180, 420))

    def closure_absences(self, stay: Stay, start: dt.date, end: dt.date) -> None:
        for first_day, last_day in _closure_periods(start, end):
            last_day = min(last_day, end - dt.timedelta(days=1))
            if first_day >= start and first_day <= last_day:
                self.facts.absences.append(Absence(stay.stay_id, first_day, last_day, "VAC"))

    def days_of_stay(self, esms: DemoEsms, stay: Stay) -> None:
        rng = self.rng
        start = max(stay.entry, self.first - dt.timedelta(days=90))
        end = min(stay.exit or self.last, self.last)
        if stay.mode == "INT":
            self.closure_absences(stay, start, end)
        elif stay.mode in ("HP", "HT"):
            day = start + dt.timedelta(days=rng.randint(5, 200))
            while day + dt.timedelta(days=3) < end:
                length = rng.randint(1, 21)
                last_day = min(day + dt.timedelta(days=length - 1), end - dt.timedelta(days=1))
                motive = rng.choice(["HOSP", "HOSP", "HAD", "CONV", "VAC", "AUTRE"] if stay.mode != "INT" else
                                    ["HOSP", "VAC", "VAC", "CONV", "AUTRE"])
                self.facts.absences.append(Absence(stay.stay_id, day, last_day, motive))
                day = last_day + dt.timedelta(days=rng.randint(60, 300))
        elif stay.mode in ("AJ", "SEMI", "EXT"):
            share = 0.45 if stay.mode == "AJ" else 0.78
            day = max(stay.entry, self.first)
            while day < end:
                if day.weekday() < 5 and rng.random() < share:
                    self.facts.attendance.append(Attendance(stay.stay_id, day))
                day += dt.timedelta(days=1)
        if esms.counts_acts:
            day = max(stay.entry, self.first)
            number = 0
            while day < end:
                number += 1
                status = rng.choices(["REALISE", "ANNULE", "ABSENT"], [0.86, 0.07, 0.07])[0]
                self.facts.acts.append(Act(f"{stay.stay_id}-{number}", stay.stay_id, day,
                                           rng.choice(["Séance individuelle", "Bilan", "Séance de groupe"]), status))
                day += dt.timedelta(days=rng.randint(4, 10))


CLOSURES = (((2, 15), (2, 28)), ((4, 15), (4, 28)), ((7, 10), (8, 25)), ((12, 22), (12, 31)))


def _closure_periods(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Weekends and school holidays: an internat de semaine is closed then (its 210 opening days)."""
    periods = []
    for year in range(first.year, last.year + 1):
        periods += [(dt.date(year, *a), dt.date(year, *b)) for a, b in CLOSURES]
    day = first + dt.timedelta(days=(5 - first.weekday()) % 7)  # first Saturday
    while day <= last:
        if not any(a <= day <= b for a, b in periods):
            periods.append((day, day + dt.timedelta(days=1)))
        day += dt.timedelta(days=7)
    return sorted(periods)


def _age_at_entry(esms: DemoEsms, rng: random.Random) -> tuple[int, int]:
    if esms.category_code == "500":
        return (55, 59) if rng.random() < 0.02 else (70, 95)
    if esms.category_code == "190":
        return 0, 4
    low = esms.age_min if esms.age_min is not None else 20
    high = esms.age_max if esms.age_max is not None else 60
    return low, max(low, high - 3)


def generate_activity(esms_list: list[DemoEsms], first: dt.date, last: dt.date, seed: int, scale: int = 1,
                      id_prefix: str = "D") -> ActivityFacts:
    builder = _Builder(random.Random(seed), first, last, id_prefix)
    for esms in esms_list:
        for mode, places in esms.modes.items():
            for _ in range(places * scale * PERSONS_PER_PLACE.get(mode, 1)):
                builder.stays_of_place(esms, mode)
    _readmissions(builder)
    return builder.facts


def _readmissions(builder: _Builder) -> None:
    """A few persons who left come back later: a new accompagnement of the same person (AC-04)."""
    rng = builder.rng
    exits = [s for s in builder.facts.stays if s.exit and s.exit_motive in ("DOM", "HOSP") and s.mode != "HT"]
    for stay in rng.sample(exits, k=len(exits) // 15):
        entry = stay.exit + dt.timedelta(days=rng.randint(20, 200))
        if entry < builder.last:
            builder.facts.stays.append(Stay(f"{stay.stay_id}r", stay.person_id, stay.finess, stay.mode, entry, None,
                                            rng.choice(PROVENANCES)))
