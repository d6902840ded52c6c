"""Deterministic synthetic DSN files (spec hr_finance_standards §1.7): one monthly file per (SIRET, month).

A staff population is simulated day by day for each establishment (hires, departures, CDD de
remplacement, work stoppages repeated monthly until resumption, suspensions, quotité changes), then
written month by month in the NEODeS grammar. Calibration (§1.7): 80–90 % women, part-time contracts
at 75–90 %, 10–20 % CDD mostly for replacement, absenteeism around 8–11 %, AS/ASH aged mostly 45–64.

Irregularities injected on purpose (the reader must cope; tests rely on them):
- ISO-8859-1 + CRLF files, the files of the second establishment in UTF-8, one LF-only file;
- apostrophes in values (names, job labels, addresses), unquoted values in one file;
- an annule-et-remplace month (``_AR`` file, type 03, later constitution date; the original lacks its
  last individual), a fractioned month (``_F1`` / ``_F2``, fractions 12 and 22);
- a long sickness open across the end of the period, a maternité, an accident du travail, an accident
  de trajet, a quotité change (S21.G00.41 in the following month), a negative correction amount, a CDD
  that vanishes without S21.G00.62, an employee known by an NTT instead of a NIR.

Names, NIR, NTT and matricules are invented but written: ``personal_values`` lists them from the files so
that privacy tests can check none of them reaches the warehouse.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DAY = dt.timedelta(days=1)
REFERENCE_HOURS = 151.67
NORM_VERSION = "P26V01"

FEMALE_NAMES = ["MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "SANDRINE", "VÉRONIQUE", "CÉLINE", "STÉPHANIE",
                "HÉLÈNE", "LÉA", "CHLOÉ", "FATOU", "AÏCHA", "FRANÇOISE", "MÉLANIE", "INÈS", "ZOÉ", "MAÏWENN"]
MALE_NAMES = ["JEAN", "PIERRE", "PHILIPPE", "NICOLAS", "JÉRÔME", "FRANÇOIS", "MAMADOU", "KARIM", "THÉO",
              "JOSÉ", "LOÏC", "GAËL"]
SURNAMES = ["MARTINEAU", "BERNARDIN", "DUBOISSON", "LEFÈVRE", "MOREAU-LAGARDE", "GIRAUDEAU", "D'ALMEIDA",
            "N'DIAYE", "L'HUILLIER", "DE LA FONTAINERIE", "MÜLLERAND", "BENOÎTON", "GARÇONNET", "ROUSSELOT",
            "FAUCHEREAU", "PELLETIER-AUZOU", "QUÉMÉNEUR", "LE GOFFIC", "TRAORÉ", "HADDADI", "VERCHÈRE",
            "CASTAÑO", "O'CONNELLY", "BRÉHERET"]
TOWNS = ["75056", "69123", "13055", "33063", "31555", "44109", "35238", "59350"]

PA_CATEGORIES = {"500", "501", "502", "202", "207", "381", "354"}  # EHPAD, résidences, SSIAD...


@dataclass(frozen=True)
class Job:
    pcs: str
    label: str
    salary: float  # monthly gross at full time
    status: str  # S21.G00.40.002
    cadre: bool = False


JOBS = {
    "as": Job("526a", "AIDE SOIGNANT(E)", 2150.0, "06"),
    "ash": Job("525d", "AGENT DE SERVICE HOSPITALIER", 1880.0, "06"),
    "ide": Job("431f", "INFIRMIER(E) DIPLÔMÉ(E) D'ÉTAT", 2750.0, "05"),
    "aes": Job("526d", "ACCOMPAGNANT(E) ÉDUCATIF ET SOCIAL", 1990.0, "06"),
    "es": Job("434d", "ÉDUCATEUR SPÉCIALISÉ", 2450.0, "05"),
    "me": Job("434e", "MONITEUR-ÉDUCATEUR", 2150.0, "05"),
    "cook": Job("636d", "CUISINIER", 2020.0, "07"),
    "maint": Job("632k", "AGENT D'ENTRETIEN", 1950.0, "07"),
    "admin": Job("543d", "SECRÉTAIRE D'ACCUEIL", 2000.0, "06"),
    "psy": Job("344d", "PSYCHOLOGUE", 3050.0, "04", cadre=True),
    "doctor": Job("344b", "MÉDECIN COORDONNATEUR", 6100.0, "04", cadre=True),
    "head": Job("434a", "CHEF DE SERVICE", 3500.0, "04", cadre=True),
    "director": Job("434a", "DIRECTEUR D'ÉTABLISSEMENT", 5100.0, "03", cadre=True),
}
JOB_MIX = {  # share of the staff per job
    "pa": {"as": 35, "ash": 22, "ide": 11, "aes": 6, "cook": 5, "maint": 4, "admin": 5, "psy": 2, "doctor": 2,
           "head": 4, "director": 2},
    "ph": {"es": 24, "me": 16, "aes": 20, "as": 8, "ash": 9, "ide": 4, "cook": 4, "maint": 4, "admin": 5,
           "psy": 2, "head": 3, "director": 1},
}
OLDER_JOBS = {"as", "ash", "maint"}  # age pyramid skewed to 45–64
IDCC = {"pa": "0029", "ph": "0413"}
APE = {"pa": "8710A", "ph": "8720A"}

# Monthly probabilities per person, tuned so that absenteeism lands around 8–11 %.
SICKNESS_START = 0.055
SICKNESS_DAYS = ((0.55, 1, 7), (0.35, 8, 90), (0.10, 91, 300))  # (share, min days, max days)
WORK_ACCIDENT, COMMUTING_ACCIDENT, MATERNITY = 0.004, 0.0015, 0.004
SUSPENSIONS = (("501", 0.003, 5, 30), ("636", 0.006, 1, 3), ("301", 0.006, 1, 5), ("632", 0.0008, 90, 300))
DEPARTURE = (("059", 0.006), ("043", 0.002), ("020", 0.0015))  # démission, rupture conventionnelle, licenciement
RETIREMENT_AGE = 62
REPLACEMENT_CDD = 0.6  # a stoppage of 15+ days is replaced by a CDD this often
SHORT_CDD = 0.15  # per establishment and month, a short CDD for a temporary increase in activity


@dataclass
class Person:
    nir: str | None
    ntt: str | None
    last_name: str
    usage_name: str | None
    first_names: str
    sex: str  # '01' / '02'
    birth_date: dt.date
    birth_town: str
    matricule: str


@dataclass
class Absence:
    reason: str
    first_day: dt.date
    last_day: dt.date  # inclusive
    declared_end: dt.date | None = None  # .003 as known at the start (prolongations extend it)


@dataclass
class Contract:
    person: Person
    number: str
    job_key: str
    nature: str  # '01' CDI, '02' CDD
    start: dt.date
    quotite: float
    recourse: str | None = None
    planned_end: dt.date | None = None
    end: dt.date | None = None
    end_reason: str | None = None
    declares_end: bool = True
    stoppages: list[Absence] = field(default_factory=list)
    suspensions: list[Absence] = field(default_factory=list)
    changes: list[tuple[dt.date, float]] = field(default_factory=list)  # (date, old quotité)

    @property
    def job(self) -> Job:
        return JOBS[self.job_key]

    def active(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)

    def quotite_on(self, day: dt.date) -> float:
        later = [old for changed, old in self.changes if changed > day]
        return later[0] if later else self.quotite

    def busy_until(self) -> dt.date:
        ends = [a.last_day for a in self.stoppages + self.suspensions]
        return max(ends) if ends else dt.date.min


def _month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _add_months(first: dt.date, n: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


class Population:
    """The staff of one establishment over the period, simulated month by month."""

    def __init__(self, rng: random.Random, family: str, size: int, first_month: dt.date, nir_prefix: int):
        self.rng, self.family, self.size = rng, family, size
        self.first_month = first_month
        self.contracts: list[Contract] = []
        self._serial = nir_prefix * 10_000
        jobs = [key for key, share in JOB_MIX[family].items() for _ in range(share)]
        for i in range(size):
            job_key = "director" if i == 0 else rng.choice(jobs)  # every ESMS has a direction
            start = first_month - dt.timedelta(days=rng.randint(60, 20 * 365))
            self.hire(job_key, start, "01")

    # people and contracts
    def new_person(self, job_key: str, on: dt.date, with_ntt: bool = False, female: bool | None = None) -> Person:
        rng = self.rng
        self._serial += 1
        draw = rng.random() < (0.86 if job_key not in ("doctor", "director", "maint") else 0.5)
        female = draw if female is None else female
        if job_key in OLDER_JOBS and rng.random() < 0.6:
            age = rng.randint(45, 63)
        else:
            age = rng.randint(21, 62)
        birth = dt.date(on.year - age, rng.randint(1, 12), rng.randint(1, 28))
        sex = "02" if female else "01"
        town = rng.choice(TOWNS)
        nir = f"{2 if female else 1}{birth.year % 100:02d}{birth.month:02d}{town[:2]}{town[2:]}{self._serial % 1000:03d}"
        last_name = rng.choice(SURNAMES)
        usage = rng.choice(SURNAMES) if female and rng.random() < 0.3 else None
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        if rng.random() < 0.25:
            first += " " + rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        return Person(
            nir=None if with_ntt else nir, ntt=f"NTT{self._serial:09d}" if with_ntt else None,
            last_name=last_name, usage_name=usage, first_names=first, sex=sex, birth_date=birth,
            birth_town=town, matricule=f"M{self._serial:06d}",
        )

    def hire(self, job_key: str, start: dt.date, nature: str, recourse: str | None = None,
             planned_end: dt.date | None = None, person: Person | None = None) -> Contract:
        person = person or self.new_person(job_key, start)
        number = f"{sum(c.person is person for c in self.contracts) + 1:05d}"
        part_time = nature == "01" and job_key not in ("director", "head", "doctor") and self.rng.random() < 0.3
        quotite = round(REFERENCE_HOURS * self.rng.choice((0.75, 0.8, 0.9)), 2) if part_time else REFERENCE_HOURS
        contract = Contract(person, number, job_key, nature, start, quotite, recourse, planned_end)
        if planned_end:
            contract.end, contract.end_reason = planned_end, "031"
        self.contracts.append(contract)
        return contract

    def permanent_staff(self, first: dt.date, last: dt.date) -> list[Contract]:
        return [c for c in self.contracts if c.nature == "01" and c.active(first, last)]

    # one month of events
    def simulate(self, first: dt.date) -> None:
        rng, last = self.rng, _month_end(first)
        for contract in self.permanent_staff(first, last):
            if contract.end is not None or contract.busy_until() >= first:
                continue
            day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
            if self._departs(contract, day):
                continue
            self._stoppages(contract, day)
            for reason, probability, low, high in SUSPENSIONS:
                if rng.random() < probability and contract.busy_until() < day:
                    contract.suspensions.append(Absence(reason, day, day + dt.timedelta(days=rng.randint(low, high) - 1)))
            if rng.random() < 0.003 and not contract.changes:
                self.change_quotite(contract, day)
        if rng.random() < SHORT_CDD:
            start = first + dt.timedelta(days=rng.randint(0, 20))
            job_key = rng.choice(["as", "ash", "aes"] if self.family == "pa" else ["me", "aes", "ash"])
            self.hire(job_key, start, "02", recourse="02", planned_end=start + dt.timedelta(days=rng.randint(4, 30)))
        missing = self.size - len(self.permanent_staff(last, last))
        for _ in range(max(missing, 0)):
            jobs = [key for key, share in JOB_MIX[self.family].items() for _ in range(share)]
            self.hire(rng.choice(jobs), first + dt.timedelta(days=rng.randint(0, 27)), "01")

    def _departs(self, contract: Contract, day: dt.date) -> bool:
        age = (day - contract.person.birth_date).days // 365
        if age >= RETIREMENT_AGE and self.rng.random() < 0.05:
            contract.end, contract.end_reason = day, "039"
            return True
        for reason, probability in DEPARTURE:
            if self.rng.random() < probability:
                contract.end, contract.end_reason = day, reason
                return True
        return False

    def _stoppages(self, contract: Contract, day: dt.date) -> None:
        rng = self.rng
        female = contract.person.sex == "02"
        age = (day - contract.person.birth_date).days // 365
        if female and age < 43 and rng.random() < MATERNITY:
            self.stop(contract, "02", day, 112)
        elif rng.random() < WORK_ACCIDENT:
            self.stop(contract, "06", day, rng.randint(3, 60))
        elif rng.random() < COMMUTING_ACCIDENT:
            self.stop(contract, "04", day, rng.randint(3, 45))
        elif rng.random() < SICKNESS_START:
            draw, cumulated = rng.random(), 0.0
            for share, low, high in SICKNESS_DAYS:
                cumulated += share
                if draw <= cumulated:
                    self.stop(contract, "01", day, rng.randint(low, high))
                    break

    def stop(self, contract: Contract, reason: str, first_day: dt.date, days: int) -> Absence:
        last_day = first_day + dt.timedelta(days=days - 1)
        # a long stoppage is first prescribed for a month, then prolonged
        declared = min(last_day, first_day + dt.timedelta(days=29))
        absence = Absence(reason, first_day, last_day, declared)
        contract.stoppages.append(absence)
        if days >= 15 and self.rng.random() < REPLACEMENT_CDD and contract.job_key not in ("director", "doctor"):
            self.hire(contract.job_key, first_day, "02", recourse="01", planned_end=last_day)
        return absence

    def change_quotite(self, contract: Contract, day: dt.date) -> None:
        old = contract.quotite
        contract.quotite = REFERENCE_HOURS if old < REFERENCE_HOURS else round(REFERENCE_HOURS * 0.8, 2)
        contract.changes.append((day, old))


# --- Writing -------------------------------------------------------------------------------------------

@dataclass
class FileSpec:
    """How one monthly file is written (the pitfalls injected)."""

    encoding: str = "iso-8859-1"
    newline: str = "\r\n"
    declaration_type: str = "01"
    fraction: str = "11"
    constitution_day: int = 5
    unquoted: tuple[str, ...] = ()
    suffix: str = ""
    persons: slice = field(default_factory=lambda: slice(None))


@lru_cache(maxsize=8192)  # strftime was a fifth of the generation time of a large profile
def _d(day: dt.date | None) -> str | None:
    return day.strftime("%d%m%Y") if day else None


def _amount(value: float) -> str:
    return f"{value:.2f}"


class MonthWriter:
    """The lines of one declaration: (rubric, value) in the norm's order."""

    def __init__(self, siren: str, siret: str, family: str, month: dt.date, finess: str | None):
        self.siren, self.siret, self.family, self.month, self.finess = siren, siret, family, month, finess
        self.last = _month_end(month)
        self.lines: list[tuple[str, str]] = []

    def add(self, block: str, *values: tuple[str, str | None]) -> None:
        self.lines.extend((f"{block}.{number}", value) for number, value in values if value not in (None, ""))

    def header(self, spec: FileSpec, order: int) -> None:
        constitution = _add_months(self.month, 1).replace(day=spec.constitution_day)
        nic = self.siret[9:]
        self.add("S10.G00.00", ("001", "TDBMS-DEMO PAIE"), ("002", "TDBMS"), ("003", "1.0"), ("005", "01"),
                 ("006", NORM_VERSION), ("007", "01"), ("008", "01"))
        self.add("S10.G00.01", ("001", self.siren), ("002", nic), ("003", "ASSOCIATION L'ÉTOILE DU BERGER"),
                 ("004", "12 RUE DE L'ÉGLISE"), ("005", "35000"), ("006", "RENNES"))
        self.add("S10.G00.02", ("001", "01"), ("002", "GWENAËLLE KERBRAT-LOUARN"), ("004", "0299000000"),
                 ("005", "paie@example.org"))
        self.add("S20.G00.05", ("001", "01"), ("002", spec.declaration_type), ("003", spec.fraction),
                 ("004", str(order)), ("005", _d(self.month)), ("007", _d(constitution)), ("008", "01"),
                 ("010", "01"))
        self.add("S20.G00.07", ("001", "GWENAËLLE KERBRAT-LOUARN"), ("002", "0299000000"), ("003", "paie@example.org"),
                 ("004", "01"))
        self.add("S21.G00.06", ("001", self.siren), ("002", nic), ("003", APE[self.family]),
                 ("004", "ZA L'OUSSON NORD"), ("005", "35000"), ("006", "RENNES"))
        self.add("S21.G00.11", ("001", nic), ("002", APE[self.family]), ("003", "2 ALLÉE DES GENÊTS"),
                 ("004", "35000"), ("005", "RENNES"), ("017", "01"), ("022", IDCC[self.family]))

    def person(self, person: Person, contracts: list[Contract], correction: bool) -> None:
        self.add("S21.G00.30", ("001", person.nir), ("002", person.last_name), ("003", person.usage_name),
                 ("004", person.first_names), ("005", person.sex), ("006", _d(person.birth_date)),
                 ("007", person.birth_town), ("019", person.matricule), ("020", person.ntt))
        for contract in contracts:
            self.contract(contract)
        self.pay(contracts, correction)

    def contract(self, c: Contract) -> None:
        first, last = self.month, self.last
        quotite = c.quotite_on(last)
        self.add("S21.G00.40", ("001", _d(c.start)), ("002", c.job.status), ("003", "01" if c.job.cadre else "04"),
                 ("004", c.job.pcs), ("006", c.job.label), ("007", c.nature), ("008", "99"), ("009", c.number),
                 ("010", _d(c.planned_end)), ("011", "10"), ("012", _amount(REFERENCE_HOURS)),
                 ("013", _amount(quotite)), ("014", "10" if quotite >= REFERENCE_HOURS else "20"),
                 ("017", IDCC[self.family]), ("019", self.siret), ("021", c.recourse), ("081", self.finess))
        previous = _add_months(first, -1)
        for changed, old in c.changes:
            if previous <= changed <= _month_end(previous):
                self.add("S21.G00.41", ("001", _d(changed)), ("006", "10"), ("007", _amount(old)),
                         ("022", _amount(REFERENCE_HOURS)))
        for s in c.stoppages:
            returns = s.last_day + DAY
            if s.first_day <= last and returns >= first:  # declared every month until the month of return
                known_end = s.last_day if last >= s.declared_end else max(s.declared_end, min(s.last_day, last + 15 * DAY))
                resumed = returns <= last
                self.add("S21.G00.60", ("001", s.reason), ("002", _d(s.first_day - DAY)), ("003", _d(known_end)),
                         ("010", _d(returns) if resumed else None), ("011", "01" if resumed else None),
                         ("012", _d(s.first_day - DAY) if s.reason in ("04", "05", "06") else None))
        if c.end and first <= c.end <= last and c.declares_end:
            self.add("S21.G00.62", ("001", _d(c.end)), ("002", c.end_reason),
                     ("003", _d(c.end - 30 * DAY) if c.end_reason in ("059", "020") else None))
        for s in c.suspensions:
            if s.first_day <= last and s.last_day >= first:
                self.add("S21.G00.65", ("001", s.reason), ("002", _d(s.first_day)), ("003", _d(s.last_day)))
        self.add("S21.G00.71", ("002", "RUAA"))

    def pay(self, contracts: list[Contract], correction: bool) -> None:
        first, last = self.month, self.last
        days_in_month = (last - first).days + 1
        gross_total = 0.0
        lines = []
        for c in contracts:
            start, end = max(c.start, first), min(c.end or last, last)
            share = ((end - start).days + 1) / days_in_month
            ratio = c.quotite_on(last) / REFERENCE_HOURS
            gross = round(c.job.salary * ratio * share, 2)
            hours = round(c.quotite_on(last) * share, 2)
            gross_total += gross
            lines.append((c, start, end, gross, hours))
        self.add("S21.G00.50", ("001", _d(last)), ("002", _amount(gross_total * 0.78)),
                 ("004", _amount(gross_total * 0.77)))
        for c, start, end, gross, hours in lines:
            self.add("S21.G00.51", ("001", _d(start)), ("002", _d(end)), ("010", c.number), ("011", "001"),
                     ("013", _amount(gross)))
            self.add("S21.G00.51", ("001", _d(start)), ("002", _d(end)), ("010", c.number), ("011", "002"),
                     ("012", _amount(hours)), ("013", _amount(gross)))
            self.add("S21.G00.53", ("001", "01"), ("002", _amount(hours)), ("003", "10"))
        if correction:
            c = contracts[0]
            self.add("S21.G00.51", ("001", _d(first)), ("002", _d(last)), ("010", c.number), ("011", "001"),
                     ("013", "-45.12"))
        self.add("S21.G00.78", ("001", "02"), ("002", _d(first)), ("003", _d(last)), ("004", _amount(gross_total)))
        self.add("S21.G00.81", ("001", "076"), ("003", _amount(gross_total)), ("004", _amount(gross_total * 0.07)))
        for c in contracts:
            months = max((last.year - c.start.year) * 12 + last.month - c.start.month, 0)
            self.add("S21.G00.86", ("001", "01"), ("002", "03"), ("003", str(months)), ("005", c.number))

    def text(self, spec: FileSpec) -> bytes:
        total = len(self.lines) + 2
        lines = self.lines + [("S90.G00.90.001", str(total)), ("S90.G00.90.002", "1")]
        out = [f"{r},{v}" if r in spec.unquoted else f"{r},'{v}'" for r, v in lines]
        return (spec.newline.join(out) + spec.newline).encode(spec.encoding)


def _month_persons(population: Population, first: dt.date) -> list[tuple[Person, list[Contract]]]:
    last = _month_end(first)
    by_person: dict[int, tuple[Person, list[Contract]]] = {}
    for contract in population.contracts:
        if contract.active(first, last):
            by_person.setdefault(id(contract.person), (contract.person, []))[1].append(contract)
    return sorted(by_person.values(), key=lambda item: item[0].matricule)


def _inject(population: Population, first_month: dt.date, months: int) -> None:
    """The events every generated period must contain (tests and the demo rely on them)."""
    def month(n: int) -> dt.date:
        return _add_months(first_month, min(n, months - 1))

    def newcomer(job_key: str, **person) -> Contract:
        start = first_month - 400 * DAY
        return population.hire(job_key, start, "01", person=population.new_person(job_key, start, **person))

    # a long sickness still open at the end of the period (across the year end when the period covers one)
    population.stop(newcomer("as"), "01", _add_months(first_month, max(months - 5, 0)) + 9 * DAY, 400)
    population.stop(newcomer("aes", female=True), "02", month(1) + 4 * DAY, 112)
    population.stop(newcomer("ash"), "06", first_month + 11 * DAY, 20)
    population.stop(newcomer("as"), "04", month(2) + 2 * DAY, 9)
    population.change_quotite(newcomer("ide"), month(1) + 14 * DAY)
    vanishing = population.hire("ash", first_month + 3 * DAY, "02", recourse="02", planned_end=first_month + 24 * DAY)
    vanishing.declares_end = False
    newcomer("as", with_ntt=True).start = first_month + 7 * DAY


def write_dsn_files(
    out_dir: Path, siren: str, establishments: list[tuple[str, str]], first_month: dt.date, months: int,
    staff_per_establishment: int, seed: int, finess: dict[str, str] | None = None, first_index: int = 0,
) -> list[Path]:
    """Write one DSN per (SIRET, month) (plus the re-delivered and fractioned months); return their paths.

    ``establishments`` = [(SIRET, FINESS category code)]; ``finess`` (SIRET → FINESS), when given, is
    written in S21.G00.40.081. ``first_index`` is the rank of the first establishment in the whole list,
    so that a list written in chunks (in parallel) gives the same files as written at once.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    first_month = first_month.replace(day=1)
    paths = []
    for index, (siret, category) in enumerate(establishments, start=first_index):
        family = "pa" if category in PA_CATEGORIES else "ph"
        rng = random.Random(f"{seed}-{siret}")
        population = Population(rng, family, staff_per_establishment, first_month, nir_prefix=index + 1)
        _inject(population, first_month, months)
        for m in range(months):
            month = _add_months(first_month, m)
            population.simulate(month)
        for m in range(months):
            month = _add_months(first_month, m)
            for spec in _file_specs(index, m, months):
                paths.append(_write_month(out_dir, siren, siret, family, month, population, spec, m + 1,
                                          (finess or {}).get(siret)))
    return sorted(paths)


def _file_specs(establishment: int, month: int, months: int) -> list[FileSpec]:
    """The file(s) of one (SIRET, month), with the pitfalls of §1.7 spread over the period."""
    base = FileSpec(encoding="utf-8" if establishment == 1 else "iso-8859-1")
    if establishment != 0:
        return [base]
    if month == 1:
        return [FileSpec(newline="\n")]
    if month == 2:
        return [FileSpec(unquoted=("S21.G00.40.007", "S21.G00.40.011", "S21.G00.30.005"))]
    if month == 3 and months > 4:
        return [FileSpec(persons=slice(0, -1)),
                FileSpec(declaration_type="03", constitution_day=12, suffix="_AR")]
    if month == 4 and months > 5:
        return [FileSpec(fraction="12", persons=slice(0, None, 2), suffix="_F1"),
                FileSpec(fraction="22", persons=slice(1, None, 2), suffix="_F2")]
    return [base]


def _write_month(out_dir: Path, siren: str, siret: str, family: str, month: dt.date, population: Population,
                 spec: FileSpec, order: int, finess: str | None) -> Path:
    writer = MonthWriter(siren, siret, family, month, finess)
    writer.header(spec, order)
    persons = _month_persons(population, month)[spec.persons]
    for i, (person, contracts) in enumerate(persons):
        writer.person(person, contracts, correction=(order == 3 and i == 0))
    path = out_dir / f"DSN_{siret}_{month:%Y%m}{spec.suffix}.dsn"
    path.write_bytes(writer.text(spec))
    return path


PERSONAL_RUBRICS = ("S21.G00.30.001", "S21.G00.30.002", "S21.G00.30.003", "S21.G00.30.004", "S21.G00.30.019",
                    "S21.G00.30.020", "S10.G00.02.002", "S20.G00.07.001")


def personal_values(paths: list[Path]) -> set[str]:
    """Every NIR, NTT, name, first name and matricule written in the files (for privacy tests)."""
    found = set()
    for path in paths:
        raw = Path(path).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("iso-8859-1")
        for line in text.splitlines():
            rubric, _, value = line.partition(",")
            if rubric in PERSONAL_RUBRICS:
                value = value[1:-1] if value.startswith("'") else value
                found.add(value)
                found.update(part for part in value.split() if len(part) > 3)
    return found
