"""Activity facts independent of any vendor format.

The demo generator and the cross-family tests build these facts once, then a writer per activity
family serialises them in that family's exact format (``pipelines/demo/writers/<family>.py``). The
same facts written in every family must give the same indicators.

Conventions (common model codes):
- sex: ``M`` / ``F``; modes: HP HT AJ INT SEMI EXT SERV;
- deficiency codes (common nomenclature, seeds/nomenclatures/deficiences.csv): DI TSA TP TLA DA DV DM DMV CL PH
  TCC DEC AUT;
- provenance: DOM SAN MS INC; exit motive: DC HOSP DOM REOR INC;
- absence motive: HOSP (hospitalisation complète), HAD, CONV (convenance personnelle), VAC, AUTRE;
- act status: REALISE, ANNULE, ABSENT.
A ``None`` provenance / exit motive on a stay that continues another (mode change, renewal) is normal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Person:
    person_id: str  # vendor file number (pseudonymised at ingestion)
    last_name: str
    first_name: str
    sex: str
    birth_date: dt.date | None
    nir: str | None = None
    main_deficiency: str | None = None
    associated_deficiencies: list[str] = field(default_factory=list)
    protection: bool | None = None
    mdph_orientation: bool | None = None
    current_gir: int | None = None  # undated GIR as the software shows it today


@dataclass
class Stay:
    stay_id: str
    person_id: str
    finess: str
    mode: str
    entry: dt.date
    exit: dt.date | None = None
    provenance: str | None = None
    exit_motive: str | None = None
    creton: bool = False


@dataclass
class Absence:
    stay_id: str
    first_day: dt.date
    last_day: dt.date  # inclusive (the day before the return)
    motive: str


@dataclass
class Attendance:
    stay_id: str
    day: dt.date


@dataclass
class Act:
    act_id: str
    stay_id: str
    day: dt.date
    kind: str
    status: str


@dataclass
class Assessment:
    person_id: str
    assessed_on: dt.date
    gir: int | None
    pathos_points: int | None = None


@dataclass
class ActivityFacts:
    persons: list[Person] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    extraction_date: dt.date | None = None  # date of the export (families that carry one)
