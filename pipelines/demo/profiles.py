"""`tdbms demo generate --profile large|medium`: one big association for the benchmarks (issue 10).

The large profile: 100 ESMS of mixed categories (the twelve demo ESMS as templates, cycled), about
10 000 persons accompanied over five years (activity family export_csv), 60 staff per establishment
(6 000) with one DSN per establishment and month (60 months), and FEC files of about 1 000 000 lines
(one dossier per ESMS and the head office, one exercise per year). ``medium`` is a fifth of it; ``half``,
``quarter`` and ``tiny`` serve the growth measure and the tests.

Besides the sources, the profile holds one more month of every source in ``increment/`` (an incremental
activity extraction, the DSN of January 2025 and the January entries of the 2025 exercise), which the
benchmark copies into the sources to measure an incremental run, and in ``familles/`` the activity of
the first twelve ESMS in the three other activity families (for the readers' benchmark). Everything is seeded: the same profile
and seed give the same bytes. The three generators (activity, DSN, FEC) run in parallel chunks, each
chunk seeded on its own, so that the result does not depend on the number of processes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.demo.activity import DemoEsms, generate_activity
from pipelines.demo.facts import ActivityFacts
from pipelines.demo.generate import DEMO_ASSOCIATIONS, DemoAssociation, sheet_rows

PROFILES = {"large": 100, "half": 50, "quarter": 25, "medium": 20, "tiny": 3}  # number of ESMS
SIREN = "980000000"
YEARS = (2020, 2021, 2022, 2023, 2024)
FIRST = dt.date(YEARS[0], 1, 1)
LAST = dt.date(YEARS[-1], 12, 31)
NEXT_MONTH_END = dt.date(YEARS[-1] + 1, 1, 31)  # the increment: January of the following year
STAFF_PER_ESMS = 60
FEC_LINES_PER_ESMS = 10_000  # over the five exercises
PLACES_FACTOR = 0.6  # the demo templates' places × this: about 100 persons per ESMS over five years
CHUNK = 10  # establishments / dossiers per parallel task
OTHER_FAMILIES = ("pivot", "classeur_xlsx", "base_sqlite")
SAMPLE_ESMS = 12  # their facts in the other families: the twelve templates (one of each category)


def profile_esms(count: int) -> tuple[DemoEsms, ...]:
    templates = [e for a in DEMO_ASSOCIATIONS for e in a.esms]
    esms = []
    for i in range(count):
        t = templates[i % len(templates)]
        esms.append(dataclasses.replace(
            t, finess=f"98{i + 1:07d}", name=f"{t.name.removesuffix(' (démo)')} n°{i + 1}",
            modes={mode: max(1, round(places * PLACES_FACTOR)) for mode, places in t.modes.items()}))
    return tuple(esms)


def profile_association(profile: str) -> DemoAssociation:
    if profile not in PROFILES:
        raise ValueError(f"profil inconnu « {profile} » (profils : {', '.join(PROFILES)})")
    return DemoAssociation(f"bench_{profile}", f"Association Grand Ensemble (banc d'essai, {profile})", "export_csv",
                           SIREN, profile_esms(PROFILES[profile]))


def siret(index: int) -> str:
    return f"{SIREN}{index + 1:05d}"


def dossier(index: int, count: int) -> str:
    return "SIEGE" if index == count else f"ESMS{index + 1:03d}"


# -- activity ------------------------------------------------------------------------------------------

def _until(facts: ActivityFacts, last: dt.date, extraction: dt.date) -> ActivityFacts:
    """The facts as an extraction made at ``extraction`` sees them on ``last`` (later exits not yet known)."""
    stays = [s if not s.exit or s.exit <= last else dataclasses.replace(s, exit=None, exit_motive=None)
             for s in facts.stays if s.entry <= last]
    persons = {s.person_id for s in stays}
    return ActivityFacts(
        persons=[p for p in facts.persons if p.person_id in persons], stays=stays,
        absences=[a for a in facts.absences if a.last_day <= last],
        attendance=[a for a in facts.attendance if a.day <= last],
        acts=[a for a in facts.acts if a.day <= last],
        assessments=[a for a in facts.assessments if a.assessed_on <= last], extraction_date=extraction)


def _month(facts: ActivityFacts, after: dt.date, extraction: dt.date) -> ActivityFacts:
    """An incremental extraction: the records created or changed after ``after`` (the newest wins, AC-22)."""
    stays = [s for s in facts.stays if s.entry > after or (s.exit and s.exit > after)]
    persons = {s.person_id for s in stays}
    return ActivityFacts(
        persons=[p for p in facts.persons if p.person_id in persons], stays=stays,
        absences=[a for a in facts.absences if a.last_day > after],
        attendance=[a for a in facts.attendance if a.day > after],
        acts=[a for a in facts.acts if a.day > after],
        assessments=[a for a in facts.assessments if a.assessed_on > after], extraction_date=extraction)


def _activity(root: Path, association: DemoAssociation, seed: int) -> None:
    from pipelines.demo.esms_sheet import write_esms_sheet
    from pipelines.demo.writers import writer

    facts = generate_activity(list(association.esms), FIRST, NEXT_MONTH_END, seed=seed, id_prefix="G")
    write = writer(association.family)
    write(_until(facts, LAST, LAST + dt.timedelta(days=5)), root / "activite")
    write(_month(facts, LAST, NEXT_MONTH_END + dt.timedelta(days=5)), root / "increment" / "activite")
    write_esms_sheet(root / "fiche_esms" / "caracterisation.csv", sheet_rows(association, 1, YEARS))
    sample = _of_esms(facts, {e.finess for e in association.esms[:SAMPLE_ESMS]})
    for family in OTHER_FAMILIES:  # the same facts in the other activity families, for the readers' benchmark
        writer(family)(sample, root / "familles" / family)


def _of_esms(facts: ActivityFacts, finess: set[str]) -> ActivityFacts:
    stays = [s for s in facts.stays if s.finess in finess]
    stay_ids, persons = {s.stay_id for s in stays}, {s.person_id for s in stays}
    return ActivityFacts(
        persons=[p for p in facts.persons if p.person_id in persons], stays=stays,
        absences=[a for a in facts.absences if a.stay_id in stay_ids],
        attendance=[a for a in facts.attendance if a.stay_id in stay_ids],
        acts=[a for a in facts.acts if a.stay_id in stay_ids],
        assessments=[a for a in facts.assessments if a.person_id in persons], extraction_date=facts.extraction_date)


# -- DSN -----------------------------------------------------------------------------------------------

def _dsn(root: Path, association: DemoAssociation, first_index: int, seed: int) -> None:
    from pipelines.demo.dsn import write_dsn_files

    chunk = association.esms[first_index:first_index + CHUNK]
    establishments = [(siret(first_index + i), e.category_code) for i, e in enumerate(chunk)]
    months = 12 * len(YEARS) + 1
    paths = write_dsn_files(root / "dsn", SIREN, establishments, FIRST, months, STAFF_PER_ESMS, seed,
                            first_index=first_index)
    new_month = f"_{NEXT_MONTH_END:%Y%m}"
    (root / "increment" / "dsn").mkdir(parents=True, exist_ok=True)
    for path in paths:
        if new_month in path.name:
            path.replace(root / "increment" / "dsn" / path.name)


# -- FEC -----------------------------------------------------------------------------------------------

def _fec(root: Path, association: DemoAssociation, first_index: int, seed: int) -> None:
    from pipelines.demo.fec import VARIANTS, write_fec_files

    count = len(association.esms)
    codes = [dossier(i, count) for i in range(first_index, min(first_index + CHUNK, count + 1))]
    categories = {code: association.esms[first_index + i].category_code if code != "SIEGE" else "siege"
                  for i, code in enumerate(codes)}
    years = [*YEARS, NEXT_MONTH_END.year]
    target = FEC_LINES_PER_ESMS * len(codes) * len(years) // len(YEARS)
    paths = write_fec_files(root / "fec", SIREN, categories, years, seed, lines_target=target, first_index=first_index)
    for index, code in enumerate(codes, start=first_index):
        path = root / "fec" / code / f"{SIREN}FEC{NEXT_MONTH_END.year}1231.txt"
        assert path in paths
        _keep_first_month(path, VARIANTS[index % len(VARIANTS)], root / "increment" / "fec" / code / path.name)


def _keep_first_month(path: Path, physical, target: Path) -> None:
    """Move an exercise's file to ``target`` keeping only its January écritures (whole, so balanced)."""
    newline, separator = physical.newline.encode(), physical.separator.encode()
    lines = path.read_bytes().split(newline)
    month = f"{NEXT_MONTH_END:%Y%m}".encode()
    kept = [lines[0]] + [line for line in lines[1:] if line and line.split(separator)[3].startswith(month)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(newline.join(kept) + newline)
    path.unlink()


# -- the profile ---------------------------------------------------------------------------------------

def profile_config(root: Path, association: DemoAssociation, output_root: Path | None = None) -> Path:
    from pipelines.demo.association import write_config

    count = len(association.esms)
    return write_config(
        root / f"{association.id}.toml", assoc_id=association.id, name=association.name,
        family=association.family, activity_path=root / "activite", esms_sheet_path=root / "fiche_esms",
        secret_path=root / "secret.key", dsn_path=root / "dsn",
        dsn_establishments={siret(i): e.finess for i, e in enumerate(association.esms)},
        fec_path=root / "fec",
        fec_dossiers={dossier(i, count): e.finess for i, e in enumerate(association.esms)} | {"SIEGE": "siege"},
        fec_sections={"hebergement": "^[67].*1$", "dependance": "^[67].*2$", "soins": "^[67].*3$"},
        output_root=output_root,
    )


def generate_profile(profile: str, out: Path, seed: int = 2024, workers: int = 2,
                     output_root: Path | None = None) -> Path:
    """Write the profile's sources and configuration into ``out/<profile>/``; return the configuration."""
    association = profile_association(profile)
    root = Path(out).resolve() / profile
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    count = len(association.esms)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        tasks = [pool.submit(_activity, root, association, seed)]
        tasks += [pool.submit(_dsn, root, association, i, seed) for i in range(0, count, CHUNK)]
        tasks += [pool.submit(_fec, root, association, i, seed) for i in range(0, count + 1, CHUNK)]
        for task in tasks:
            task.result()
    return profile_config(root, association, output_root)
