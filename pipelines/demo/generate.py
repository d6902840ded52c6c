"""`tdbms demo generate`: three fictional associations mirroring the real case, in the exact formats.

(a) demo_enfance — children's PH (IME, SESSAD, ITEP, CAMSP), activity family export_csv;
(b) demo_adultes — adults' PH (MAS, EAM, ESAT, EANM, SAVS), activity family base_sqlite;
(c) demo_mixte — mixed PA/PH (EHPAD HP/HT/AJ, SSIAD, IME), activity family classeur_xlsx.
FINESS numbers are fictional (99… range), names invented; each has two full years of activity, monthly
DSN files and one FEC per accounting dossier and exercise when those generators are installed.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from pathlib import Path

from pipelines.demo.activity import DemoEsms, generate_activity
from pipelines.demo.esms_sheet import write_esms_sheet
from pipelines.demo.facts import ActivityFacts
from pipelines.demo.writers import writer

YEARS = (2023, 2024)
OPENING_DAYS = {"HP": 365, "HT": 365, "INT": 210, "SEMI": 210, "EXT": 225, "AJ": 250, "SERV": 250}


@dataclass(frozen=True)
class DemoAssociation:
    id: str
    name: str
    family: str
    siren: str
    esms: tuple[DemoEsms, ...]


DEMO_ASSOCIATIONS = (
    DemoAssociation("demo_enfance", "Association Les Lucioles (démo)", "export_csv", "990000001", (
        DemoEsms("990000011", "183", "IME Les Lucioles", {"INT": 12, "SEMI": 20, "EXT": 8}, 6, 20),
        DemoEsms("990000012", "182", "SESSAD Les Lucioles", {"SERV": 30}, 0, 20),
        DemoEsms("990000013", "186", "ITEP Le Sillon", {"INT": 10, "SEMI": 10}, 6, 18),
        DemoEsms("990000014", "190", "CAMSP Les Lucioles", {"SERV": 40}, 0, 6, counts_acts=True),
    )),
    DemoAssociation("demo_adultes", "Association Les Horizons (démo)", "base_sqlite", "990000002", (
        DemoEsms("990000021", "255", "MAS Les Horizons", {"HP": 30, "AJ": 6}, 20, None),
        DemoEsms("990000022", "448", "EAM La Source", {"HP": 25, "HT": 2}, 20, None),
        DemoEsms("990000023", "246", "ESAT Les Ateliers", {"EXT": 60}, 18, 62),
        DemoEsms("990000024", "449", "Foyer de vie Le Mail", {"HP": 20}, 20, None),
        DemoEsms("990000025", "446", "SAVS Les Horizons", {"SERV": 40}, 18, None),
    )),
    DemoAssociation("demo_mixte", "Association Les Tilleuls (démo)", "classeur_xlsx", "990000003", (
        DemoEsms("990000031", "500", "EHPAD Les Tilleuls", {"HP": 80, "HT": 4, "AJ": 10}, 60, None),
        DemoEsms("990000032", "354", "SSIAD Les Tilleuls", {"SERV": 50}, 60, None),
        DemoEsms("990000033", "183", "IME Les Charmilles", {"INT": 15, "SEMI": 15}, 6, 20),
    )),
)


def _budget(esms: DemoEsms, year: int) -> float:
    """The budget voted (EPRD) of an ESMS: about its generated yearly charges (pipelines/demo/fec.py)."""
    from pipelines.demo.fec import DEFAULT_PROFILE, PROFILES

    charges = PROFILES.get(esms.category_code, DEFAULT_PROFILE)[1]
    return round(charges * (0.96 + (int(esms.finess[-2:]) * 7 + year) % 9 / 100), 2)


def sheet_rows(association: DemoAssociation, scale: int, years: tuple[int, ...] = YEARS) -> list[dict]:
    rows = []
    for year in years:
        for esms in association.esms:
            for number, (mode, places) in enumerate(esms.modes.items()):
                places *= scale
                days = OPENING_DAYS[mode]
                rows.append({
                    "finess": esms.finess, "year": year, "category_code": esms.category_code, "mode": mode,
                    "esms_name": esms.name, "places_autorisees": places, "places_installees": places,
                    "places_financees": places, "jours_ouverture": days,
                    "journees_financees": None if esms.counts_acts else round(places * days * 0.92),
                    "actes_finances": places * 30 if esms.counts_acts else None,
                    "age_min": esms.age_min, "age_max": esms.age_max,
                    "places_habilitees_aide_sociale": places if esms.category_code in ("500", "449") and mode == "HP" else None,
                    "etp_budgetes": round(places * (0.7 if mode != "SERV" else 0.3), 1),
                })
                if number == 0:  # ESMS-level amounts on its first mode row (the sheet sums them per ESMS)
                    budget = _budget(esms, year) * scale
                    rows[-1] |= {"budget_depenses": budget, "budget_recettes": round(budget * 1.004, 2),
                                 "dotation_soins": round(budget * 0.3, 2) if esms.category_code == "500" else None}
    return rows


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None


def demo_facts(association: DemoAssociation, scale: int, seed: int) -> ActivityFacts:
    return generate_activity(list(association.esms), dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31),
                             seed=seed, scale=scale)


def generate_association(association: DemoAssociation, out: Path, scale: int, seed: int) -> Path:
    root = out / association.id
    facts = demo_facts(association, scale, seed)
    writer(association.family)(facts, root / "activite")
    write_esms_sheet(root / "fiche_esms" / "caracterisation.csv", sheet_rows(association, scale))
    dsn = _optional("pipelines.demo.dsn")
    if dsn:
        establishments = [(f"{association.siren}{i:05d}", e.category_code) for i, e in enumerate(association.esms, 1)]
        dsn.write_dsn_files(root / "dsn", association.siren, establishments, dt.date(YEARS[0], 1, 1),
                            12 * len(YEARS), max(4, 6 * scale), seed)
    fec = _optional("pipelines.demo.fec")
    if fec:
        dossiers = {f"ESMS{i:02d}": e.category_code for i, e in enumerate(association.esms, 1)} | {"SIEGE": "siege"}
        fec.write_fec_files(root / "fec", association.siren, dossiers, list(YEARS), seed)
    return root


def association_seed(association: DemoAssociation, seed: int) -> int:
    return seed + DEMO_ASSOCIATIONS.index(association)


def generate_demo(out: Path, scale: int = 1, seed: int = 2024) -> dict[str, Path]:
    return {a.id: generate_association(a, Path(out), scale, association_seed(a, seed)) for a in DEMO_ASSOCIATIONS}


def write_demo_configs(folder: Path, sources_root: str = "../output/demo-sources") -> list[Path]:
    """The committed associations/<id>.toml of the demo (relative paths to the generated sources)."""
    from pipelines.demo.association import write_config
    from pipelines.demo.local import LOCAL_ASSOCIATION, write_local_indicators

    written = []
    for association in DEMO_ASSOCIATIONS:
        base = f"{sources_root}/{association.id}"
        extra = {}
        if _optional("pipelines.demo.dsn"):
            extra |= {"dsn_path": f"{base}/dsn", "dsn_establishments": {
                f"{association.siren}{i:05d}": e.finess for i, e in enumerate(association.esms, 1)}}
        if _optional("pipelines.demo.fec"):
            extra |= {"fec_path": f"{base}/fec", "fec_dossiers": {
                f"ESMS{i:02d}": e.finess for i, e in enumerate(association.esms, 1)} | {"SIEGE": "siege"}}
            if any(e.category_code == "500" for e in association.esms):  # demo/fec.py: last digit = section
                extra["fec_sections"] = {"hebergement": "^[67].*1$", "dependance": "^[67].*2$", "soins": "^[67].*3$"}
        if association.id == LOCAL_ASSOCIATION:  # its own indicator, in a folder next to its configuration
            write_local_indicators(Path(folder) / "local" / association.id)
            extra["definitions"] = {"local": f"local/{association.id}"}
        written.append(write_config(
            Path(folder) / f"{association.id}.toml", assoc_id=association.id, name=association.name,
            family=association.family, activity_path=f"{base}/activite", esms_sheet_path=f"{base}/fiche_esms",
            secret_path=f"~/.config/tdbms/secrets/{association.id}.key", **extra,
        ))
    return written
