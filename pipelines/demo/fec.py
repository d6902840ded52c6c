"""Deterministic synthetic FEC files of an ESMS association (spec hr_finance_standards.md §2.5).

One double-entry ledger per accounting dossier is simulated exercise after exercise: the à-nouveaux of
N+1 carry the class 1–5 balances of N and its result (in 120 / 129, affected in June), so the files of
one dossier chain like real ones. Each exercise has the monthly tarification (EHPAD: soins, dépendance,
hébergement per resident), payroll (641/645/631/633 and their payments), purchases (60x, 6111/6112, 61x,
621/62111, 62x) paid the next month with lettrage, the till, the loan (164 + 66111), investments, an
operating subsidy, and the year-end inventory entries (681/28x, 139/777, provisions, FNP, CCA) reversed
the next January. Every écriture balances and the numbering is continuous.

Account numbers have 8 characters. For an EHPAD (category 500) the charge and product accounts end with
the tarification section: 1 hébergement, 2 dépendance, 3 soins (``64110003`` = salaries, soins); every
other account ends with 0. The physical format varies by dossier (``VARIANTS``) and the first exercise of
the first dossier is delivered twice: ``…FEC<AAAA>1231.txt`` misses its last entry (a late invoice) and
``…FEC<AAAA>1231_v2.txt`` is the complete re-delivery.
"""

from __future__ import annotations

import codecs
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.readers.fec import MONTANT_SENS_COLUMNS, NORM_COLUMNS

EHPAD = "500"
SIEGE = "siege"
SECTIONS = {1: "hébergement", 2: "dépendance", 3: "soins"}
BASE_PURCHASES_PER_MONTH = 20

LABELS = {
    "102": "Fonds associatifs sans droit de reprise", "10682": "Excédents affectés à l'investissement",
    "10685": "Réserve de trésorerie", "10686": "Réserve de compensation des déficits",
    "11519": "Report à nouveau déficitaire", "120": "Résultat de l'exercice (excédent)",
    "129": "Résultat de l'exercice (déficit)", "131": "Subventions d'équipement",
    "139": "Subventions d'investissement inscrites au résultat", "1518": "Autres provisions pour risques",
    "1641": "Emprunts auprès des établissements de crédit", "2131": "Bâtiments",
    "2154": "Matériel médical", "2183": "Matériel informatique", "2184": "Mobilier",
    "28131": "Amortissements des bâtiments", "28154": "Amortissements du matériel médical",
    "28183": "Amortissements du matériel informatique", "28184": "Amortissements du mobilier",
    "401": "Fournisseurs", "404": "Fournisseurs d'immobilisations", "4081": "Fournisseurs, factures non parvenues",
    "411": "Usagers et organismes financeurs", "421": "Personnel, rémunérations dues", "431": "Sécurité sociale",
    "437": "Autres organismes sociaux", "4418": "Subventions à recevoir", "4471": "Taxe sur les salaires",
    "486": "Charges constatées d'avance", "512": "Banque", "531": "Caisse",
    "6022": "Fournitures hôtelières", "6061": "Eau et énergie", "6063": "Fournitures d'entretien et petit équipement",
    "6066": "Fournitures médicales", "6068": "Autres fournitures", "6111": "Prestations à caractère médical",
    "6112": "Prestations à caractère médico-social", "6132": "Locations immobilières",
    "6152": "Entretien et réparations des bâtiments", "6156": "Maintenance", "616": "Primes d'assurance",
    "6211": "Personnel intérimaire", "62111": "Personnel mis à disposition par l'organisme gestionnaire",
    "6226": "Honoraires", "6241": "Transports de biens", "6251": "Voyages et déplacements",
    "626": "Frais postaux et de télécommunications", "627": "Services bancaires", "6281": "Blanchissage à l'extérieur",
    "6288": "Autres services extérieurs", "6311": "Taxe sur les salaires",
    "6333": "Participation à la formation professionnelle continue", "6411": "Salaires, appointements",
    "6451": "Cotisations à l'URSSAF", "6453": "Cotisations aux caisses de retraite",
    "6556": "Frais de siège social du gestionnaire", "66111": "Intérêts des emprunts",
    "6811": "Dotations aux amortissements des immobilisations", "6815": "Dotations aux provisions d'exploitation",
    "7088": "Frais de siège facturés aux établissements", "7311": "Dotation globale de financement",
    "73511": "Forfait global de soins", "73521": "Forfait global dépendance", "73531": "Produits de l'hébergement",
    "7411": "Subventions d'exploitation", "777": "Quote-part des subventions d'investissement virée au résultat",
    "7815": "Reprises sur provisions d'exploitation",
}
JOURNALS = {
    "AN": "A nouveaux", "ACH": "Achats", "VTE": "Facturation usagers", "DOT": "Dotations et forfaits",
    "BQ1": "Banque", "CAI": "Caisse", "PAIE": "Paie", "OD": "Opérations diverses",
}
# (account, default EHPAD section, share of the purchases budget)
PURCHASES = (
    ("6022", 1, 0.10), ("6061", 1, 0.14), ("6063", 1, 0.07), ("6066", 3, 0.08), ("6068", 1, 0.04),
    ("6111", 3, 0.07), ("6112", 2, 0.05), ("6132", 1, 0.05), ("6152", 1, 0.06), ("6156", 1, 0.04),
    ("616", 1, 0.03), ("6211", 3, 0.07), ("62111", 2, 0.03), ("6226", 1, 0.03), ("6241", 1, 0.02),
    ("6251", 1, 0.02), ("626", 1, 0.03), ("6281", 2, 0.05), ("6288", 1, 0.02),
)
SUPPLIERS = (
    "Énergies du Val", "Blanchisserie Soleil", "Pharmacie Centrale", "Intérim Santé Plus", "Boulangerie du Marché",
    "Maintenance Alpha", "Mutuelle Assurances Réunies", "Transports Martin", "Bureau & Cie", "Laboratoire Ouest",
    "Eaux de la Vallée", "Télécom Services", "Cabinet Conseil Lebrun", "Hygiène Pro", "Restauration Collective SA",
)
ASSETS = (  # (gross account, depreciation account, share of the budget, years of depreciation)
    ("2131", "28131", 1.50, 30), ("2154", "28154", 0.15, 10), ("2183", "28183", 0.04, 3), ("2184", "28184", 0.08, 10),
)
PROFILES = {  # category -> (places, yearly charges in euros)
    EHPAD: (80, 3_600_000), "183": (60, 3_300_000), "255": (50, 4_200_000), "246": (70, 2_400_000),
    "354": (60, 1_300_000), SIEGE: (0, 1_200_000),
}
DEFAULT_PROFILE = (40, 2_000_000)


@dataclass(frozen=True)
class Physical:
    """How a dossier's files are written (spec §2.3 variants)."""

    separator: str
    encoding: str
    bom: bool
    newline: str
    montant_sens: bool
    zero_pad: int  # width of zero-padded amounts, 0 = none
    space_pad: bool
    journal_numbering: bool  # "ACH000012" (FI-09: continuity per journal) or "12" (over the file)
    typographic: bool  # typographic apostrophe ’ (a cp1252 byte 0x92)


VARIANTS = (
    Physical("\t", "utf-8", True, "\r\n", False, 0, False, True, False),
    Physical("|", "cp1252", False, "\n", True, 13, False, False, True),
    Physical("\t", "iso-8859-15", False, "\r\n", False, 0, False, True, False),
    Physical("|", "utf-8", False, "\n", False, 0, True, False, False),
)


@dataclass
class Line:
    account: str
    label: str
    debit: int = 0  # cents
    credit: int = 0
    aux: tuple[str, str] | None = None  # (CompAuxNum, CompAuxLib)
    lettrage: tuple[str, dt.date] | None = None


@dataclass
class Entry:
    journal: str
    day: dt.date
    label: str
    lines: list[Line]
    piece_day: dt.date | None = None
    valid_day: dt.date | None = None


def account(base: str, section: int = 0) -> str:
    return (base + "0000000")[:7] + str(section)


def label_of(base: str, section: int = 0) -> str:
    return LABELS[base] + (f" - {SECTIONS[section]}" if section else "")


def split_cents(total: int, shares: list[float]) -> list[int]:
    """Split an amount by shares; the last part takes the rounding so the parts sum exactly."""
    parts = [round(total * s) for s in shares[:-1]]
    return parts + [total - sum(parts)]


@dataclass
class Dossier:
    """The state of one dossier carried from exercise to exercise."""

    code: str
    category: str
    rng: random.Random
    purchases_per_month: int
    balances: dict[tuple[str, tuple | None], int] = field(default_factory=lambda: defaultdict(int))
    to_collect: list[tuple[tuple[str, str], int]] = field(default_factory=list)  # 411: (aux, cents)
    to_pay: list[tuple[dt.date, Line]] = field(default_factory=list)  # 401 lines waiting for their payment
    to_reverse: list[Entry] = field(default_factory=list)  # year-end FNP / CCA, reversed in January
    result: int | None = None  # result of the previous exercise, affected in June

    @property
    def places(self) -> int:
        return PROFILES.get(self.category, DEFAULT_PROFILE)[0]

    @property
    def budget(self) -> int:
        return PROFILES.get(self.category, DEFAULT_PROFILE)[1] * 100

    def sectioned(self, base: str, section: int) -> tuple[str, str]:
        """Account number and label of a charge or product: sections only for an EHPAD."""
        section = section if self.category == EHPAD else 0
        return account(base, section), label_of(base, section)

    def post(self, entry: Entry) -> None:
        for line in entry.lines:
            self.balances[(line.account, line.aux if line.account[0] in "14" else None)] += line.debit - line.credit


def _cents(rng: random.Random, mean: float, spread: float = 0.25) -> int:
    """A random amount in cents around ``mean`` cents (one euro at least)."""
    return max(100, round(mean * rng.uniform(1 - spread, 1 + spread)))


class ExerciseBuilder:
    """Entries of one exercise, in date order month by month (so the numbering follows the dates)."""

    def __init__(self, dossier: Dossier, year: int):
        self.d, self.year, self.rng = dossier, year, dossier.rng
        self.margin = self.rng.uniform(-0.02, 0.03)
        self.letters = 0

    def entries(self) -> Iterator[Entry]:
        """Each entry is posted to the dossier's balances as it is made: later entries read them."""
        for entry in self._make():
            self.d.post(entry)
            entry.valid_day = entry.day + dt.timedelta(days=self.rng.randint(0, 10))
            yield entry
        self.d.result = -sum(cents for (number, _), cents in self.d.balances.items() if number[0] in "67")

    def _make(self) -> Iterator[Entry]:
        yield self._opening()
        for month in range(1, 13):
            if month == 1:
                yield from self._reversals()
            yield from self._collections(month)
            yield from self._tarification(month)
            yield from self._payroll(month)
            yield from self._payments(month)
            yield from self._purchases(month)
            yield from self._till_and_bank(month)
            if month == 4:
                yield from self._subsidy()
            if month == 6 and self.d.result is not None:
                yield self._affectation()
            if month in (3, 9):
                yield self._investment(month)
        yield from self._year_end()

    def day(self, month: int, day: int) -> dt.date:
        return dt.date(self.year, month, min(day, 28))

    # -- opening -------------------------------------------------------------------------------------

    def _opening(self) -> Entry:
        d = self.d
        if not d.balances:
            self._initial_balances()
        lines = []
        for (number, aux), cents in sorted(d.balances.items(), key=lambda kv: (kv[0][0], kv[0][1] or ())):
            if number[0] in "12345" and cents:
                base = next(b for b in sorted(LABELS, key=len, reverse=True) if number.startswith(b))
                lines.append(Line(number, LABELS[base], max(cents, 0), max(-cents, 0), aux))
        if d.result:
            base = "120" if d.result > 0 else "129"
            lines.append(Line(account(base), LABELS[base], max(-d.result, 0), max(d.result, 0)))
        d.balances.clear()  # posting the à-nouveaux rebuilds the balance sheet; classes 6 and 7 start at 0
        return Entry("AN", dt.date(self.year, 1, 1), "A nouveaux", lines)

    def _initial_balances(self) -> None:
        """First exercise: a plausible balance sheet, the association's funds (102) balancing it."""
        d, b, rng = self.d, self.d.budget, self.rng
        owner = d.category != SIEGE
        for gross, depreciation, share, _ in ASSETS:
            value = round(b * share * (1 if owner or gross != "2131" else 0.2))
            d.balances[(account(gross), None)] += value
            d.balances[(account(depreciation), None)] -= round(value * rng.uniform(0.3, 0.6))
        for base, share in (("1641", -0.6), ("131", -0.3), ("139", 0.1), ("10682", -0.1), ("10685", -0.05),
                            ("431", -0.015), ("437", -0.01), ("512", 0.2)):
            d.balances[(account(base), None)] += round(b * share)
        for funder in self._funders():
            cents = round(b * 0.05 / len(self._funders()))
            d.balances[(account("411"), funder)] += cents
            d.to_collect.append((funder, cents))
        for i in range(4):
            supplier = self._supplier(i)
            line = Line(account("401"), LABELS["401"], 0, round(b * 0.01), supplier)
            d.balances[(account("401"), supplier)] -= line.credit
            d.to_pay.append((dt.date(self.year, 1, 10), line))
        d.balances[(account("102"), None)] -= sum(d.balances.values())

    def _funders(self) -> list[tuple[str, str]]:
        if self.d.category == SIEGE:
            return [("ETAB", "Établissements de l'association")]
        if self.d.category == EHPAD:
            return [("ARS", "Agence régionale de santé"), ("CD", "Conseil départemental")]
        return [("ARS", "Agence régionale de santé")]

    def _supplier(self, i: int) -> tuple[str, str]:
        return f"F{i % len(SUPPLIERS) + 1:04d}", SUPPLIERS[i % len(SUPPLIERS)]

    # -- monthly flows -------------------------------------------------------------------------------

    def _collections(self, month: int) -> Iterator[Entry]:
        d = self.d
        pending, d.to_collect = d.to_collect, []
        for aux, cents in pending:
            yield Entry("BQ1", self.day(month, 5), f"Encaissement {aux[1]}", [
                Line(account("512"), LABELS["512"], debit=cents),
                Line(account("411"), LABELS["411"], credit=cents, aux=aux),
            ])

    def _tarification(self, month: int) -> Iterator[Entry]:
        d = self.d
        monthly = round(d.budget * (1 + self.margin) / 12)
        if d.category == SIEGE:
            yield self._billing("DOT", month, "Frais de siège", ("ETAB", "Établissements de l'association"),
                                *d.sectioned("7088", 0), monthly)
        elif d.category == EHPAD:
            soins, dependance, hebergement = split_cents(monthly, [0.35, 0.20, 0.45])
            yield self._billing("DOT", month, "Forfait global de soins", ("ARS", "Agence régionale de santé"),
                                *d.sectioned("73511", 3), soins)
            yield self._billing("DOT", month, "Forfait global dépendance", ("CD", "Conseil départemental"),
                                *d.sectioned("73521", 2), dependance)
            per_resident = split_cents(hebergement, [1 / d.places] * d.places)
            number, name = d.sectioned("73531", 1)
            residents = [(f"R{i + 1:04d}", f"Résident {i + 1:04d}") for i in range(d.places)]
            lines = [Line(account("411"), LABELS["411"], debit=c, aux=r) for r, c in zip(residents, per_resident, strict=True)]
            lines.append(Line(number, name, credit=hebergement))
            d.to_collect += list(zip(residents, per_resident, strict=True))
            yield Entry("VTE", self.day(month, 28), f"Facturation hébergement {month:02d}/{self.year}", lines)
        else:
            yield self._billing("DOT", month, "Dotation globale", ("ARS", "Agence régionale de santé"),
                                *d.sectioned("7311", 0), monthly)

    def _billing(self, journal, month, label, funder, number, name, cents) -> Entry:
        self.d.to_collect.append((funder, cents))
        return Entry(journal, self.day(month, 1), f"{label} {month:02d}/{self.year}", [
            Line(account("411"), LABELS["411"], debit=cents, aux=funder), Line(number, name, credit=cents),
        ])

    def _payroll(self, month: int) -> Iterator[Entry]:
        d = self.d
        for base in ("431", "437", "4471"):  # last month's charges, paid on the 15th
            due = -d.balances.get((account(base), None), 0)
            if due > 0:
                yield Entry("BQ1", self.day(month, 15), f"Règlement {LABELS[base]}", [
                    Line(account(base), LABELS[base], debit=due), Line(account("512"), LABELS["512"], credit=due),
                ])
        gross = round(d.budget * 0.46 / 12 * self.rng.uniform(0.97, 1.05))
        urssaf, retirement = round(gross * 0.28), round(gross * 0.13)
        employee_urssaf, employee_retirement = round(gross * 0.13), round(gross * 0.09)
        net = gross - employee_urssaf - employee_retirement
        shares = [0.40, 0.25, 0.35] if d.category == EHPAD else [1.0]
        sections = [1, 2, 3] if d.category == EHPAD else [0]
        lines = []
        for base, total in (("6411", gross), ("6451", urssaf), ("6453", retirement)):
            for section, part in zip(sections, split_cents(total, shares), strict=True):
                lines.append(Line(*d.sectioned(base, section), debit=part))
        lines += [
            Line(account("421"), LABELS["421"], credit=net),
            Line(account("431"), LABELS["431"], credit=urssaf + employee_urssaf),
            Line(account("437"), LABELS["437"], credit=retirement + employee_retirement),
        ]
        day = self.day(month, 27)
        yield Entry("PAIE", day, f"Paie {month:02d}/{self.year}", lines)
        tax, training = round(gross * 0.045), round(gross * 0.01)
        yield Entry("PAIE", day, f"Taxe sur les salaires et formation {month:02d}/{self.year}", [
            Line(*d.sectioned("6311", 1), debit=tax), Line(*d.sectioned("6333", 1), debit=training),
            Line(account("4471"), LABELS["4471"], credit=tax + training),
        ])
        yield Entry("BQ1", self.day(month, 28), f"Virement des salaires {month:02d}/{self.year}", [
            Line(account("421"), LABELS["421"], debit=net), Line(account("512"), LABELS["512"], credit=net),
        ])

    def _purchases(self, month: int) -> Iterator[Entry]:
        d, rng = self.d, self.rng
        mean = d.budget * 0.22 / 12 / d.purchases_per_month  # the accounts' shares come from their frequency
        for _ in range(d.purchases_per_month):
            base, section, _share = rng.choices(PURCHASES, weights=[share for *_, share in PURCHASES])[0]
            cents = _cents(rng, mean)
            supplier = self._supplier(rng.randrange(len(SUPPLIERS)))
            day = self.day(month, rng.randint(1, 28))
            pay_day = day + dt.timedelta(days=30)
            self.letters += 1
            lettrage = (_letters(self.letters), pay_day) if pay_day.year == self.year else None
            owed = Line(account("401"), LABELS["401"], credit=cents, aux=supplier, lettrage=lettrage)
            d.to_pay.append((pay_day, owed))
            yield Entry("ACH", day, f"Facture {supplier[1]}", [Line(*d.sectioned(base, section), debit=cents), owed],
                        piece_day=day - dt.timedelta(days=rng.randint(0, 5)))

    def _payments(self, month: int) -> Iterator[Entry]:
        d = self.d
        due = [(day, line) for day, line in d.to_pay if (day.year, day.month) <= (self.year, month)]
        d.to_pay = [(day, line) for day, line in d.to_pay if (day.year, day.month) > (self.year, month)]
        for day, owed in due:
            day = max(day, dt.date(self.year, 1, 2))
            yield Entry("BQ1", day, f"Règlement {owed.aux[1]}", [
                Line(owed.account, owed.label, debit=owed.credit, aux=owed.aux,
                     lettrage=(owed.lettrage[0], day) if owed.lettrage else None),
                Line(account("512"), LABELS["512"], credit=owed.credit),
            ])

    def _till_and_bank(self, month: int) -> Iterator[Entry]:
        d, rng = self.d, self.rng
        yield Entry("BQ1", self.day(month, 2), "Alimentation de la caisse", [
            Line(account("531"), LABELS["531"], debit=20_000), Line(account("512"), LABELS["512"], credit=20_000),
        ])
        for _ in range(3):
            cents = rng.randint(1_000, 6_000)
            yield Entry("CAI", self.day(month, rng.randint(3, 27)), "Menues dépenses", [
                Line(*d.sectioned("6068", 1), debit=cents), Line(account("531"), LABELS["531"], credit=cents),
            ])
        loan = -d.balances.get((account("1641"), None), 0)
        if loan > 0:
            capital, interest = min(loan, round(d.budget * 0.6 / 180)), round(loan * 0.025 / 12)
            yield Entry("BQ1", self.day(month, 10), "Échéance d'emprunt", [
                Line(account("1641"), LABELS["1641"], debit=capital), Line(*d.sectioned("66111", 1), debit=interest),
                Line(account("512"), LABELS["512"], credit=capital + interest),
            ])
        fees = rng.randint(3_000, 9_000)
        yield Entry("BQ1", self.day(month, 28), "Frais bancaires", [
            Line(*d.sectioned("627", 1), debit=fees), Line(account("512"), LABELS["512"], credit=fees),
        ])
        if d.category not in (SIEGE,):
            cents = round(d.budget * 0.02 / 12)
            yield Entry("OD", self.day(month, 28), "Quote-part des frais de siège", [
                Line(*d.sectioned("6556", 1), debit=cents), Line(account("512"), LABELS["512"], credit=cents),
            ])

    def _subsidy(self) -> Iterator[Entry]:
        cents = round(self.d.budget * 0.01)
        funder = ("CD", "Conseil départemental")
        yield Entry("OD", self.day(4, 15), "Subvention d'exploitation", [
            Line(account("4418"), LABELS["4418"], debit=cents, aux=funder), Line(*self.d.sectioned("7411", 1), credit=cents),
        ])
        yield Entry("BQ1", self.day(4, 30), "Encaissement de la subvention", [
            Line(account("512"), LABELS["512"], debit=cents), Line(account("4418"), LABELS["4418"], credit=cents, aux=funder),
        ])

    def _affectation(self) -> Entry:
        result, self.d.result = self.d.result, None
        if result > 0:
            reserve, investment = split_cents(result, [0.5, 0.5])
            lines = [Line(account("120"), LABELS["120"], debit=result),
                     Line(account("10686"), LABELS["10686"], credit=reserve),
                     Line(account("10682"), LABELS["10682"], credit=investment)]
        else:
            lines = [Line(account("11519"), LABELS["11519"], debit=-result),
                     Line(account("129"), LABELS["129"], credit=-result)]
        return Entry("OD", self.day(6, 30), "Affectation du résultat", lines)

    def _investment(self, month: int) -> Entry:
        gross, *_ = self.rng.choice(ASSETS[1:])
        cents = _cents(self.rng, self.d.budget * 0.01)
        supplier = self._supplier(self.rng.randrange(len(SUPPLIERS)))
        owed = Line(account("404"), LABELS["404"], credit=cents, aux=supplier)
        self.d.to_pay.append((self.day(month, 20) + dt.timedelta(days=30), owed))
        return Entry("ACH", self.day(month, 20), f"Acquisition {LABELS[gross].lower()}",
                     [Line(account(gross), LABELS[gross], debit=cents), owed])

    # -- year end ------------------------------------------------------------------------------------

    def _reversals(self) -> Iterator[Entry]:
        pending, self.d.to_reverse = self.d.to_reverse, []
        for entry in pending:
            yield Entry("OD", dt.date(self.year, 1, 2), f"Extourne {entry.label.lower()}", [
                Line(line.account, line.label, line.credit, line.debit, line.aux) for line in entry.lines
            ])

    def _year_end(self) -> Iterator[Entry]:
        d, rng = self.d, self.rng
        closing = dt.date(self.year, 12, 31)
        lines = []
        for gross, depreciation, _, years in ASSETS:
            value = d.balances.get((account(gross), None), 0)
            remaining = value + d.balances.get((account(depreciation), None), 0)
            charge = min(remaining, round(value / years))
            if charge > 0:
                lines += [Line(*d.sectioned("6811", 1), debit=charge),
                          Line(account(depreciation), LABELS[depreciation], credit=charge)]
        if lines:
            yield Entry("OD", closing, "Dotations aux amortissements", lines)
        grant = -d.balances.get((account("131"), None), 0) - d.balances.get((account("139"), None), 0)
        if grant > 0:
            share = min(grant, round(-d.balances.get((account("131"), None), 0) / 20))
            yield Entry("OD", closing, "Quote-part des subventions d'investissement", [
                Line(account("139"), LABELS["139"], debit=share), Line(*d.sectioned("777", 1), credit=share),
            ])
        provision = d.balances.get((account("1518"), None), 0)
        if provision < 0 and rng.random() < 0.5:
            yield Entry("OD", closing, "Reprise de provision", [
                Line(account("1518"), LABELS["1518"], debit=-provision), Line(*d.sectioned("7815", 1), credit=-provision),
            ])
        elif rng.random() < 0.6:
            cents = _cents(rng, d.budget * 0.005)
            yield Entry("OD", closing, "Provision pour litige", [
                Line(*d.sectioned("6815", 1), debit=cents), Line(account("1518"), LABELS["1518"], credit=cents),
            ])
        prepaid = _cents(rng, d.budget * 0.003)
        cca = Entry("OD", closing, "Charges constatées d'avance", [
            Line(account("486"), LABELS["486"], debit=prepaid), Line(*d.sectioned("616", 1), credit=prepaid),
        ])
        late = _cents(rng, d.budget * 0.004)
        fnp = Entry("OD", closing, "Facture non parvenue énergie", [
            Line(*d.sectioned("6061", 1), debit=late), Line(account("4081"), LABELS["4081"], credit=late),
        ])
        d.to_reverse += [cca, fnp]
        yield cca
        yield fnp  # last: the first delivery of a re-delivered exercise misses it


def _letters(n: int) -> str:
    """Lettrage code: AAA, AAB, … (wraps after 17 576 matches in one exercise)."""
    return "".join(chr(65 + (n // 26**power) % 26) for power in (2, 1, 0))


@lru_cache(maxsize=4096)
def _yyyymmdd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


class FecWriter:
    """Writes entries in one physical variant, numbering them as they come, to one or more deliveries.

    The deliveries of one exercise get the same bytes, except that ``write(entry, complete_only=True)``
    leaves out the first one (a delivery made before that entry was booked).
    """

    def __init__(self, paths: list[Path], physical: Physical):
        self.paths, self.p = paths, physical
        self.counters: dict[str, int] = defaultdict(int)
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        self.handles = [open(path, "wb") for path in paths]  # noqa: SIM115 (closed by close())
        columns = NORM_COLUMNS[:11] + MONTANT_SENS_COLUMNS + NORM_COLUMNS[13:] if physical.montant_sens else NORM_COLUMNS
        header = self._encode([[name for name, _ in columns]])
        for handle in self.handles:
            handle.write((codecs.BOM_UTF8 if physical.bom else b"") + header)

    def _number(self, journal: str) -> str:
        key = journal if self.p.journal_numbering else ""
        self.counters[key] += 1
        return f"{journal}{self.counters[key]:06d}" if self.p.journal_numbering else str(self.counters[key])

    def _amount(self, cents: int) -> str:
        text = f"{cents // 100},{cents % 100:02d}"
        if self.p.zero_pad:
            return text.rjust(self.p.zero_pad, "0")
        return text.rjust(12) if self.p.space_pad else text

    def _text(self, text: str) -> str:
        return text.replace("'", "\u2019") if self.p.typographic else text

    def _encode(self, rows: list[list[str]]) -> bytes:
        return "".join(self.p.separator.join(row) + self.p.newline for row in rows).encode(self.p.encoding)

    def write(self, entry: Entry, complete_only: bool = False) -> None:
        number = self._number(entry.journal)
        piece = f"{entry.journal}{number[-6:]}" if self.p.journal_numbering else f"{entry.journal}-{number}"
        head = [entry.journal, self._text(JOURNALS[entry.journal]), number, _yyyymmdd(entry.day)]
        middle = [piece, _yyyymmdd(entry.piece_day or entry.day), self._text(entry.label)]
        valid = _yyyymmdd(entry.valid_day)
        rows = []
        for line in entry.lines:
            aux_num, aux_lib = line.aux or ("", "")
            lettre, lettre_day = (line.lettrage[0], _yyyymmdd(line.lettrage[1])) if line.lettrage else ("", "")
            if self.p.montant_sens:
                amounts = [self._amount(line.debit or line.credit), "D" if line.debit else "C"]
            else:
                amounts = [self._amount(line.debit), self._amount(line.credit)]
            rows.append([*head, line.account, self._text(line.label), aux_num, self._text(aux_lib), *middle, *amounts,
                         lettre, lettre_day, valid, "", ""])
        data = self._encode(rows)
        for handle in self.handles[1:] if complete_only else self.handles:
            handle.write(data)

    def close(self) -> None:
        for handle in self.handles:
            handle.close()


def write_fec_files(
    out_dir: Path, siren: str, dossiers: dict[str, str], years: list[int], seed: int, lines_target: int | None = None,
    first_index: int = 0,
) -> list[Path]:
    """One FEC per dossier × exercise in ``<out_dir>/<dossier>/``; the same arguments give the same bytes.

    ``dossiers`` maps an accounting dossier code to the FINESS category it serves (``"siege"`` for the head
    office); ``lines_target`` scales the purchases so that all the files hold about that many lines;
    ``first_index`` is the rank of the first dossier in the whole list (a list written in chunks).
    """
    out_dir = Path(out_dir)
    per_month = BASE_PURCHASES_PER_MONTH
    if lines_target:
        per_file = lines_target / max(1, len(dossiers) * len(years))
        base_lines = _count_lines(dossiers, years, seed, per_month) / max(1, len(dossiers) * len(years))
        per_month = max(1, per_month + round((per_file - base_lines) / (12 * 4)))  # 4 lines per purchase
    written: list[Path] = []
    for index, (code, category) in enumerate(dossiers.items(), start=first_index):
        physical = VARIANTS[index % len(VARIANTS)]
        dossier = Dossier(code, category, random.Random(f"{seed}:{code}"), per_month)
        for year_index, year in enumerate(years):
            path = out_dir / code / f"{siren}FEC{year}1231.txt"
            redelivered = index == 0 and year_index == 0
            paths = [path, path.with_name(f"{path.stem}_v2.txt")] if redelivered else [path]
            writer = FecWriter(paths, physical)
            try:
                _write_exercise(ExerciseBuilder(dossier, year).entries(), writer, first_delivery_misses_last=redelivered)
            finally:
                writer.close()
            written += paths
    return written


def _write_exercise(entries: Iterator[Entry], writer: FecWriter, first_delivery_misses_last: bool) -> None:
    previous = next(entries)
    for entry in entries:  # one behind, to know which entry is the last
        writer.write(previous)
        previous = entry
    writer.write(previous, complete_only=first_delivery_misses_last)


def _count_lines(dossiers: dict[str, str], years: list[int], seed: int, per_month: int) -> int:
    total = 0
    for code, category in dossiers.items():
        dossier = Dossier(code, category, random.Random(f"{seed}:{code}"), per_month)
        for year in years:
            total += sum(len(entry.lines) for entry in ExerciseBuilder(dossier, year).entries())
    return total
