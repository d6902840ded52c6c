"""Deterministic activity facts for a demo association: persons, stays, absences, attendance, acts."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from pipelines.demo.facts import Absence, Act, ActivityFacts, Assessment, Attendance, Person, Stay

FIRST_NAMES = ["Léa", "Hugo", "Chloé", "Louis", "Inès", "Jules", "Zoé", "Noé", "Anaïs", "Théo", "Maëlle", "Élias",
               "Françoise", "René", "Gisèle", "Hervé", "Josée", "Cécile", "Benoît", "Aurélie"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Lefèvre", "Garnier", "Chevalier", "François", "Mercier", "Boyer", "Blanc", "Guérin", "Faure", "Rousseau"]
DEFICIENCIES = ["DI", "TSA", "TP", "TLA", "DA", "DV", "DM", "DMV", "CL", "PH", "TCC", "DEC", "AUT"]
PROVENANCES = ["DOM", "DOM", "DOM", "SAN", "MS", "INC"]
EXIT_MOTIVES = ["DOM", "DOM", "REOR", "HOSP", "INC"]


@dataclass(frozen=True)
class DemoEsms:
    finess: str
    category_code: str
    name: str
    modes: dict[str, int]  # mode -> places autorisées
    age_min: int | None = None
    age_max: int | None = None
    counts_acts: bool = False


def _age_range(esms: DemoEsms) -> tuple[int, int]:
    if esms.category_code == "500":
        return 62, 101
    if esms.category_code in ("190",):
        return 0, 6
    if esms.age_max and esms.age_max <= 20:
        return max(esms.age_min or 3, 3), 21  # a few over the authorised age (Creton)
    return 20, 70


def generate_activity(esms_list: list[DemoEsms], first: dt.date, last: dt.date, seed: int, scale: int = 1,
                      id_prefix: str = "D") -> ActivityFacts:
    rng = random.Random(seed)
    facts = ActivityFacts(extraction_date=last + dt.timedelta(days=31))
    span = (last - first).days
    counter = 0
    for esms in esms_list:
        for mode, places in esms.modes.items():
            occupants = max(1, round(places * (1.6 if mode in ("HT", "AJ") else 1.15) * scale))
            for _ in range(occupants):
                counter += 1
                pid = f"{id_prefix}{counter:06d}"
                low, high = _age_range(esms)
                birth = first - dt.timedelta(days=rng.randint(low * 365, high * 365))
                main = rng.choice(DEFICIENCIES) if esms.category_code != "500" and rng.random() > 0.05 else None
                facts.persons.append(Person(
                    pid, rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), rng.choice("MFF"),
                    birth if rng.random() > 0.02 else None,
                    nir=f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}"
                        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}",
                    main_deficiency=main,
                    associated_deficiencies=sorted({rng.choice(DEFICIENCIES[:9]) for _ in range(rng.randint(0, 2))}),
                    protection=rng.random() < 0.3, mdph_orientation=esms.category_code != "500",
                ))
                _person_stays(facts, rng, esms, mode, pid, first, last, span, counter)
    return facts


def _person_stays(facts, rng, esms, mode, pid, first, last, span, counter) -> None:
    entry = first - dt.timedelta(days=rng.randint(0, 900)) if rng.random() < 0.7 else first + dt.timedelta(days=rng.randint(0, span))
    stay_len = rng.randint(7, 60) if mode == "HT" else rng.randint(120, 2000)
    exit_ = entry + dt.timedelta(days=stay_len)
    if exit_ > last:
        exit_ = None
    motive = None
    if exit_:
        motive = "DC" if esms.category_code in ("500", "255") and rng.random() < 0.5 else rng.choice(EXIT_MOTIVES)
    stay_id = f"S{counter:06d}"
    creton = bool(esms.age_max and esms.age_max <= 20 and rng.random() < 0.1)
    # a mode change for some residents of establishments with several modes
    other_modes = [m for m in esms.modes if m != mode and m not in ("HT", "AJ")]
    if other_modes and mode not in ("HT", "AJ") and rng.random() < 0.15 and entry + dt.timedelta(days=60) < (exit_ or last):
        change = entry + dt.timedelta(days=rng.randint(30, 60))
        facts.stays.append(Stay(stay_id + "a", pid, esms.finess, mode, entry, change, rng.choice(PROVENANCES), None, creton))
        second = Stay(stay_id, pid, esms.finess, rng.choice(other_modes), change, exit_, None, motive, creton)
    else:
        second = Stay(stay_id, pid, esms.finess, mode, entry, exit_, rng.choice(PROVENANCES), motive, creton)
    facts.stays.append(second)
    start = max(entry, first - dt.timedelta(days=60))
    end = min(exit_ or last, last)
    if second.mode in ("HP", "HT", "INT"):
        day = start + dt.timedelta(days=rng.randint(10, 120))
        while day + dt.timedelta(days=20) < end:
            length = rng.randint(1, 15)
            facts.absences.append(Absence(second.stay_id, day, day + dt.timedelta(days=length - 1),
                                          rng.choice(["HOSP", "HOSP", "CONV", "VAC", "HAD", "AUTRE"])))
            day += dt.timedelta(days=length + rng.randint(60, 240))
    elif second.mode in ("AJ", "SEMI", "EXT"):
        day = max(second.entry, first)
        while day < end:
            if day.weekday() < 5 and rng.random() < 0.85:
                facts.attendance.append(Attendance(second.stay_id, day))
            day += dt.timedelta(days=1 if second.mode != "AJ" else rng.choice([1, 2, 3]))
    if esms.counts_acts:
        day = max(second.entry, first)
        n = 0
        while day < end:
            n += 1
            status = rng.choices(["REALISE", "ANNULE", "ABSENT"], [0.85, 0.08, 0.07])[0]
            facts.acts.append(Act(f"{second.stay_id}-{n}", second.stay_id, day,
                                  rng.choice(["Séance individuelle", "Bilan", "Séance de groupe"]), status))
            day += dt.timedelta(days=rng.randint(5, 12))
    if esms.category_code == "500":
        day = max(second.entry, first - dt.timedelta(days=200))
        while day < end:
            facts.assessments.append(Assessment(pid, day, rng.choices([1, 2, 3, 4, 5, 6], [8, 25, 20, 25, 12, 10])[0],
                                                rng.randint(80, 400)))
            day += dt.timedelta(days=rng.randint(150, 300))
