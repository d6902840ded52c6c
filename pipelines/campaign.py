"""`tdbms export-campaign`: the values of the annual TDB MS campaign of every ESMS of an association,
ready to be entered on the ATIH platform (CSV for any tool, XLSX for people).

Layout: **one file for all the ESMS, one row per ESMS, one column per campaign item**, which is the layout
of the ATIH export itself (`export-tdbesms-<year>`, Appendix A of the spec): the columns follow the
Appendix A order and are headed by their letter (first header row) and their ATIH label (second header
row). The person who fills the campaign for an organisme gestionnaire works through all its ESMS from
one table, in the order of the form, and once the campaign is closed the same file is compared column
by column with the ATIH export.

Items: the catalogue's ATIH columns (an indicator, or one class of its breakdown: the class code is found
through the nomenclature seeds that carry the column letter, else CLASS_COLUMNS), the two validated
scores the ESMS sheet declares (GM, GO) and the caractérisation items of the ESMS sheet (SHEET_ITEMS).
Values are those of `fct_indicator_values` for the year (period_type 'year'), displayed as the ATIH
labels expect them: rates « en % » as percent numbers (94.51, not 0.9451), two decimals at most. A value
that is not computable is left empty; the « Valeurs absentes » sheet (and CSV) tells why.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipelines import PROJECT_ROOT
from pipelines.config import AssociationConfig
from pipelines.errors import TdbmsError
from pipelines.outputs import read_warehouse, rows, status_label, status_meaning

# Classes whose ATIH column no nomenclature seed carries: column -> (indicator, class code, ATIH label
# when the catalogue does not list the column).
CLASS_COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "GM": ("A1-04", "valide", "Score moyen de l'échelle retenue de dépendance (dernier GMP validé)"),
    "GO": ("A1-05", "valide", "Score moyen de l'échelle retenue de charge en soins (PMP validé)"),
    "HC": ("A1-15", "permanent", None),
    "HD": ("A1-15", "temporaire", None),
    "HE": ("A1-15", "accueil_de_jour", None),
    "JR": ("A3-08", "I", None),
    "JS": ("A3-08", "II", None),
    "JT": ("A3-08", "III", None),
    "JU": ("A3-09", "hebergement", "dont recettes section \"hébergement\" (en %)"),
    "JV": ("A3-09", "dependance", None),
    "JW": ("A3-09", "soins", None),
    "JX": ("A3-10", "hebergement", None),
    "JY": ("A3-10", "dependance", None),
    "JZ": ("A3-10", "soins", None),
}

# Caractérisation items of the ESMS sheet: (column, ATIH label, sheet column, A1-15 mode group or None =
# every mode). Places of a service (mode SERV, in no A1-15 group) are counted as permanent places.
SHEET_ITEMS = (
    ("AD", "- Nombre de lits et places autorisés au 31.12.N-1 (permanent)", "places_autorisees", "permanent"),
    ("AE", "- Nombre de lits et places installés au 31.12.N-1 (permanent)", "places_installees", "permanent"),
    ("AF", "- Nombre de lits et places autorisés au 31.12.N-1 (temporaire)", "places_autorisees", "temporaire"),
    ("AG", "- Nombre de lits et places installés au 31.12.N-1 (temporaire)", "places_installees", "temporaire"),
    ("AH", "- Nombre de places autorisées au 31.12.N-1 (accueil de jour)", "places_autorisees", "accueil_de_jour"),
    ("AI", "- Nombre de places installées au 31.12.N-1 (accueil de jour)", "places_installees", "accueil_de_jour"),
    ("AJ", "Nombre de places habilitées à l'aide sociale départementale à l'hébergement",
     "places_habilitees_aide_sociale", None),
    ("AK", "Nombre de séances/actes financés sur l'année", "actes_finances", None),
)

# Identification columns of Appendix A that the warehouse knows.
IDENTIFICATION = (("C", "Catégorie"), ("E", "finess géographique"), ("F", "Raison sociale"))
VERSION_HEADER = "Version des définitions (tdbms)"
REASON_HEADERS = ("finess géographique", "Raison sociale", "Colonne ATIH", "Libellé ATIH", "Indicateur",
                  "Statut", "Explication")
# Prefix of a class code per ATIH column of a nomenclature seed (deficiencies: principal and associated).
SEED_COLUMN_PREFIXES = {"atih_column": "", "atih_column_principal": "principale:", "atih_column_associated": "associee:"}


@dataclass(frozen=True)
class Item:
    """One column of the campaign: an indicator value (or one class of it), or an ESMS sheet item."""

    column: str
    label: str
    indicator: str | None = None  # catalogue code; None for an ESMS sheet item
    breakdown: str | None = None  # class code in fct_indicator_values; None = the headline value
    class_label: str | None = None  # catalogue wording of the class
    unit: str | None = None
    resolved: bool = True  # False: a class column whose code the computed values do not tell yet
    sheet_field: str | None = None
    mode_group: str | None = None

    @property
    def order(self) -> int:
        return column_number(self.column)


@dataclass(frozen=True)
class Cell:
    value: float | int | None
    status: str | None = None  # French status when the value is empty
    reason: str | None = None


def column_number(letters: str) -> int:
    """Spreadsheet column letters -> number (A = 1, Z = 26, AA = 27): the Appendix A order."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in text.split(" | ")] if text else []


def _seed_classes(con) -> dict[str, str]:
    """ATIH column letter -> class code, from the nomenclature seeds that carry ATIH columns (the class
    code is the seed's first column)."""
    seeds = {path.stem for path in (PROJECT_ROOT / "seeds").rglob("*.csv")} - {"indicator_catalogue"}
    found = rows(con, """
        select table_name, column_name,
               (select c.column_name from information_schema.columns as c
                where c.table_name = columns.table_name and c.ordinal_position = 1) as code_column
        from information_schema.columns
        where column_name in ('atih_column', 'atih_column_principal', 'atih_column_associated')""")
    classes = {}
    for seed in (f for f in found if f["table_name"] in seeds):
        prefix = SEED_COLUMN_PREFIXES[seed["column_name"]]
        for code, letter in con.execute(
                f'select cast("{seed["code_column"]}" as varchar), "{seed["column_name"]}" '
                f'from "{seed["table_name"]}" where "{seed["column_name"]}" is not null').fetchall():
            classes[letter] = prefix + code
    return classes


def _class_code(letter: str, indicator: str, seed_classes: dict[str, str]) -> str | None:
    if letter in seed_classes:
        return seed_classes[letter]
    owner, code, _ = CLASS_COLUMNS.get(letter, (None, None, None))
    return code if owner == indicator else None


def campaign_items(con) -> list[Item]:
    """Every column of the campaign the warehouse can fill, in the Appendix A order."""
    seed_classes = _seed_classes(con)
    catalogue = {row["code"]: row for row in rows(con, "select * from indicator_catalogue order by code")}
    items = []
    for code, row in catalogue.items():
        letters, labels, classes = (row["atih_column"] or "").split(), _split(row["atih_label"]), _split(row["breakdown"])
        codes = [_class_code(letter, code, seed_classes) for letter in letters]
        # The indicator's own column comes first when the export has one (seeds/_seeds.yml, atih_column).
        headline = [i == 0 and class_code is None and (not classes or label == row["label"])
                    for i, (class_code, label) in enumerate(zip(codes, labels, strict=True))]
        class_letters = [letter for letter, is_headline in zip(letters, headline, strict=True) if not is_headline]
        aligned = len(class_letters) == len(classes)
        for letter, label, class_code, is_headline in zip(letters, labels, codes, headline, strict=True):
            class_label = None if is_headline else classes[class_letters.index(letter)] if aligned else label
            items.append(Item(letter, label, code, class_code, class_label, row["unit"],
                              resolved=is_headline or class_code is not None))
    listed = {item.column for item in items}
    items += [Item(letter, label, code, breakdown, class_label=label, unit=catalogue[code]["unit"])
              for letter, (code, breakdown, label) in CLASS_COLUMNS.items()
              if label and letter not in listed and code in catalogue]
    items += [Item(letter, label, sheet_field=field, mode_group=group) for letter, label, field, group in SHEET_ITEMS]
    return sorted(items, key=lambda item: item.order)


def class_labels(con) -> dict[tuple[str, str], str]:
    """(indicator, class code) -> official wording of the class, where a campaign column maps to it."""
    return {(item.indicator, item.breakdown): item.class_label
            for item in campaign_items(con) if item.indicator and item.breakdown}


def campaign_number(value: float | None, unit: str | None) -> float | int | None:
    """A value as the ATIH labels expect it: rates « en % » as percent numbers, two decimals at most."""
    if value is None:
        return None
    shown = round(value * 100 if unit == "%" else value, 2)
    return int(shown) if shown == int(shown) else shown


@dataclass
class Campaign:
    association: str
    year: int
    items: list[Item]
    esms: list[dict]  # finess, esms_name, category_label
    cells: dict[tuple[str, str], Cell]  # (finess, column) -> cell
    definition_versions: list[str]  # the release of the definitions
    local_settings: dict

    def header_rows(self) -> list[list[str]]:
        identification = [letter for letter, _ in IDENTIFICATION], [label for _, label in IDENTIFICATION]
        return [identification[0] + [i.column for i in self.items] + [""],
                identification[1] + [i.label for i in self.items] + [VERSION_HEADER]]

    def data_rows(self) -> list[list]:
        version = ", ".join(self.definition_versions)
        return [[e["category_label"], e["finess"], e["esms_name"],
                 *(self.cells[(e["finess"], i.column)].value for i in self.items), version] for e in self.esms]

    def reason_rows(self) -> list[list]:
        result = []
        for e in self.esms:
            for item in self.items:
                cell = self.cells[(e["finess"], item.column)]
                if cell.value is None:
                    indicator = item.indicator or "Fiche ESMS"
                    result.append([e["finess"], e["esms_name"], item.column, item.label, indicator, cell.status,
                                   cell.reason])
        return result


def build_campaign(cfg: AssociationConfig, year: int) -> Campaign:
    with read_warehouse(cfg) as con:
        esms = rows(con, """
            select esms.finess, esms.esms_name, coalesce(categories.label, esms.category_code) as category_label
            from int_esms as esms left join esms_categories as categories using (category_code)
            where esms.year = ? order by esms.category_code, esms.finess""", [year])
        if not esms:
            raise TdbmsError(f"aucun ESMS dans la fiche ESMS de l'association {cfg.id} pour l'année {year}.")
        items = campaign_items(con)
        computed = {code for code, model in con.execute("select code, model from indicator_catalogue").fetchall()
                    if model}
        values = {(r["finess"], r["indicator_code"], r["breakdown"]): r for r in rows(con, """
            select finess, indicator_code, breakdown, value, status from fct_indicator_values
            where period_type = 'year' and year = ?""", [year])}
        fields = sorted({item.sheet_field for item in items if item.sheet_field})
        sheet = rows(con, f"""
            select finess, coalesce(mode_group, case when is_service then 'permanent' end) as mode_group,
                   {', '.join(fields)}
            from int_esms_modes where year = ?""", [year])
    cells = {}
    for e in esms:
        for item in items:
            if item.sheet_field:
                modes = [r for r in sheet if r["finess"] == e["finess"]
                         and (item.mode_group is None or r["mode_group"] == item.mode_group)]
                cells[(e["finess"], item.column)] = _sheet_cell(item, modes)
            else:
                cells[(e["finess"], item.column)] = _indicator_cell(
                    item, values.get((e["finess"], item.indicator, item.breakdown)), item.indicator in computed)
    variants = "; ".join(f"{name} = {value}" for name, value in cfg.local_settings.items())
    version = f"{cfg.release} (variante locale : {variants})" if variants else cfg.release
    return Campaign(cfg.name, year, items, esms, cells, [version], cfg.local_settings)


def _indicator_cell(item: Item, value: dict | None, computed: bool) -> Cell:
    not_computed = "Non calculé"
    if not computed:
        return Cell(None, not_computed, "Indicateur pas encore calculé par tdbms : à renseigner d'après les sources.")
    if not item.resolved:
        return Cell(None, not_computed, "Cette classe n'est pas encore reliée aux valeurs calculées de l'indicateur.")
    if value is None:
        return Cell(None, not_computed, "Aucune valeur calculée pour cet ESMS et cette année.")
    if value["status"] != "ok" or value["value"] is None:
        reason = status_meaning(value["status"])
        if value["value"] is not None:
            reason += f" Valeur calculée : {campaign_number(value['value'], item.unit)}."
        return Cell(None, status_label(value["status"]), reason)
    return Cell(campaign_number(value["value"], item.unit))


def _sheet_cell(item: Item, modes: list[dict]) -> Cell:
    if not modes:
        return Cell(None, status_label("not_applicable"), "La fiche ESMS n'a pas de mode d'accueil de ce groupe.")
    given = [m[item.sheet_field] for m in modes if m[item.sheet_field] is not None]
    # A capacity of a mode group needs every mode of the group; an ESMS-wide item sums the modes that give it.
    if not given or item.mode_group and len(given) < len(modes):
        return Cell(None, status_label("missing_input"), "Non renseigné dans la fiche ESMS (caractérisation).")
    return Cell(campaign_number(sum(given), None))


def _csv_text(value) -> str:
    """French Excel reads a decimal comma."""
    if value is None:
        return ""
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def _write_csv(path: Path, table: list[list]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(
            [[_csv_text(v) for v in row] for row in table])
    return path


def _about_rows(campaign: Campaign, cfg: AssociationConfig) -> list[list]:
    settings = "; ".join(f"{k} = {v}" for k, v in campaign.local_settings.items()) or "aucun (définitions partagées)"
    return [
        ["Association", f"{campaign.association} ({cfg.id})"],
        ["Données de l'année", campaign.year],
        ["Campagne TDB MS", campaign.year + 1],
        ["Généré le", dt.datetime.now().strftime("%d/%m/%Y %H:%M")],
        ["Version des définitions", ", ".join(campaign.definition_versions)],
        ["Paramètres locaux", settings],
        ["Nombre d'ESMS", len(campaign.esms)],
        ["Lecture", "Une ligne par ESMS, une colonne par item de la campagne dans l'ordre de l'export ATIH "
                    "(lettre de colonne, puis libellé). Les taux « en % » sont en pourcentage (94,5 = 94,5 %)."],
        ["Valeurs absentes", "Une cellule vide n'est pas un zéro : la feuille « Valeurs absentes » en donne la raison."],
        ["Places des services", "Les places d'un service (mode SERV) sont comptées en places « permanent »."],
    ]


def _write_xlsx(path: Path, campaign: Campaign, cfg: AssociationConfig) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Campagne"
    for row in campaign.header_rows() + campaign.data_rows():
        sheet.append(row)
    bold = Font(bold=True)
    for cell in sheet[1] + sheet[2]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 90
    sheet.freeze_panes = "D3"
    for index, column in enumerate(sheet.iter_cols(min_row=3), start=1):
        sheet.column_dimensions[column[0].column_letter].width = 14 if index > 3 else 30
        for cell in column:
            if isinstance(cell.value, float):
                cell.number_format = "0.00"

    reasons = workbook.create_sheet("Valeurs absentes")
    for row in [list(REASON_HEADERS)] + campaign.reason_rows():
        reasons.append(row)
    for cell in reasons[1]:
        cell.font = bold
    for letter, width in zip("ABCDEFG", (12, 28, 10, 50, 10, 22, 80), strict=True):
        reasons.column_dimensions[letter].width = width
    reasons.freeze_panes = "A2"

    about = workbook.create_sheet("À propos")
    for row in _about_rows(campaign, cfg):
        about.append(row)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 110
    workbook.save(path)
    return path


def export_campaign(cfg: AssociationConfig, year: int, out: Path) -> list[Path]:
    """Write the campaign CSV, the CSV of absent values and the workbook; return their paths."""
    campaign = build_campaign(cfg, year)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"campagne_tdb_donnees_{year}"
    return [
        _write_csv(out / f"{stem}.csv", campaign.header_rows() + campaign.data_rows()),
        _write_csv(out / f"{stem}_valeurs_absentes.csv", [list(REASON_HEADERS)] + campaign.reason_rows()),
        _write_xlsx(out / f"{stem}.xlsx", campaign, cfg),
    ]
