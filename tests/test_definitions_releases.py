"""Shared definitions (issue 12): releases and their change log, an association pinned to a release, local
indicators, the impact of a release change on an association's own data.

The expensive part reuses the session `demo` fixture: demo_enfance carries the demo's local indicator
(pipelines/demo/local.py) and its warehouse is the data of the impact test (two dbt builds on copies).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipelines.campaign import export_campaign
from pipelines.catalogue import CATALOGUE_PATH, by_code, load_catalogue
from pipelines.cli import main
from pipelines.config import load_config
from pipelines.dbt import dbt_vars
from pipelines.demo.association import write_config
from pipelines.demo.facts import ActivityFacts, Person, Stay
from pipelines.demo.local import (
    CATALOGUE_ROW,
    LOCAL_ASSOCIATION,
    LOCAL_CODE,
    LOCAL_MODEL,
    MODEL_SQL,
    write_local_indicators,
)
from pipelines.errors import ConfigError, TdbmsError
from pipelines.releases import DEFINITIONS_DIR, changelog_text, current_version, get_release, releases
from pipelines.settings import default_settings, setting_decisions
from pipelines.share import SMALL_CELL, build_share
from tests.conftest import indicator, make_association, query

IME = "990000101"

OLD, NEW = "2026.1", "2026.2"


# ------------------------------------------------------------------------------------- releases


def test_releases_change_log_and_the_documented_difference():
    known = releases()
    assert list(known) == [OLD, NEW] and current_version() == NEW
    assert (DEFINITIONS_DIR / "CHANGELOG.md").read_text(encoding="utf-8") == changelog_text()  # written from the manifests
    codes, columns = set(by_code()), set(load_catalogue(CATALOGUE_PATH)[0])
    for release in known.values():
        assert release.changes, release.version
        for change in release.changes:
            assert set(change.indicators) <= codes | {"*"} and change.reason and change.norm
        assert set(release.settings) <= set(default_settings())
        assert set(release.catalogue) <= codes and all(set(fields) <= columns for fields in release.catalogue.values())
    # the documented point: 2026.2 changed the A1-20 default of AC-18 and says so in its change log
    assert known[OLD].settings == {"rotation_method": "exits"} and default_settings()["rotation_method"] == "mean"
    (change,) = known[NEW].changes
    assert change.indicators == ("A1-20",) and setting_decisions()["rotation_method"] in change.decisions
    assert by_code()["A1-20"]["definition_version"] == NEW and known[OLD].catalogue["A1-20"]["definition_version"] == OLD


def test_definitions_list_and_show_in_french():
    runner = CliRunner()
    listed = runner.invoke(main, ["definitions", "list"])
    assert listed.exit_code == 0 and f"{NEW}  " in listed.output and "[version courante]" in listed.output
    old = runner.invoke(main, ["definitions", "show", "A1-20", "--release", OLD])
    new = runner.invoke(main, ["definitions", "show", "A1-20"])
    assert old.exit_code == new.exit_code == 0
    assert "Formule : sorties définitives / places autorisées" in old.output and "rotation_method = 'exits'" in old.output
    assert "Formule : ((admissions + sorties définitives) / 2)" in new.output and "rotation_method = 'mean'" in new.output
    for label in ("Numérateur", "Dénominateur", "Norme", "Décisions : AC-04 AC-18 AC-25", "Fiabilité", "Applicabilité"):
        assert label in new.output
    unknown = runner.invoke(main, ["definitions", "show", "A1-20", "--release", "2031.1"])
    assert unknown.exit_code == 1 and "« 2031.1 » n'existe pas" in unknown.output and "Traceback" not in unknown.output


def test_a_release_the_product_cannot_run_is_refused(tmp_path):
    (tmp_path / "releases").mkdir()
    (tmp_path / "VERSION").write_text("2099.1\n", encoding="utf-8")
    (tmp_path / "releases" / "2099.1.toml").write_text(
        'version = "2099.1"\ndate = "2099-01-01"\nproduct_min = "99.0"\nsummary = "future"\n', encoding="utf-8")
    with pytest.raises(TdbmsError, match=r"demande tdbms 99\.0 ou plus récent"):
        get_release("2099.1", tmp_path)


# ---------------------------------------------------------------------------------- pinned config


def config_file(tmp_path: Path, definitions: dict | None = None, settings: dict | None = None) -> Path:
    for folder in ("activity", "sheet"):
        (tmp_path / folder).mkdir(exist_ok=True)
    return write_config(tmp_path / "asso.toml", assoc_id="epingle", name="Association épinglée", family="pivot",
                        activity_path=tmp_path / "activity", esms_sheet_path=tmp_path / "sheet",
                        secret_path=tmp_path / "secret.key", output_root=tmp_path / "out",
                        definitions=definitions, settings=settings)


def test_an_association_pinned_to_the_older_release_gets_its_defaults(tmp_path):
    cfg = load_config(config_file(tmp_path, {"release": OLD}))
    assert cfg.release == OLD and cfg.settings["rotation_method"] == "exits" and cfg.local_settings == {}
    variables = dbt_vars(cfg)
    assert variables["definitions_release"] == OLD and variables["rotation_method"] == "exits"
    assert variables["catalogue_overrides"]["A1-20"]["definition_version"] == OLD and variables["variant_decisions"] == []
    # the current default chosen under the older release is a local variant of that release
    variant = load_config(config_file(tmp_path, {"release": OLD}, {"rotation_method": "mean"}))
    assert variant.local_settings == {"rotation_method": "mean"} and dbt_vars(variant)["variant_decisions"] == ["AC-18"]
    assert load_config(config_file(tmp_path)).release == NEW  # no [definitions]: the current release


def test_an_unknown_release_is_refused_before_anything_is_written(tmp_path):
    path = config_file(tmp_path, {"release": "2031.1"})
    result = CliRunner().invoke(main, ["--associations", str(path), "run", "epingle"])
    assert result.exit_code == 1 and "[definitions] release" in result.output and "n'existe pas" in result.output
    assert not (tmp_path / "out").exists()


def test_impact_refuses_an_unknown_release_or_a_missing_warehouse_before_writing(tmp_path):
    path = config_file(tmp_path)
    runner = CliRunner()
    unknown = runner.invoke(main, ["--associations", str(path), "definitions", "impact", "epingle",
                                   "--from", "2031.1", "--to", NEW])
    assert unknown.exit_code == 1 and "« 2031.1 » n'existe pas" in unknown.output
    absent = runner.invoke(main, ["--associations", str(path), "definitions", "impact", "epingle", "--from", OLD,
                                  "--to", NEW])
    assert absent.exit_code == 1 and "entrepôt absent, lancez d'abord `tdbms run epingle`" in absent.output
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------- local indicators


@pytest.mark.parametrize(("row", "models", "message"), [
    ({"code": "A1-01"}, None, r"code « A1-01 » est celui d'un indicateur partagé"),
    ({"code": "X-01"}, None, r"code « X-01 » invalide .* « L- »"),
    ({"model": "ind_a1_01_derogation_age"}, {"ind_a1_01_derogation_age": "select 1"},
     r"le modèle « ind_a1_01_derogation_age » porte le nom d'un modèle"),
    ({}, {LOCAL_MODEL: MODEL_SQL, "fct_indicator_values": "select 1"}, r"fct_indicator_values\.sql : ce modèle porte le nom"),
    ({"model": "local_absent"}, None, r"local_absent\.sql » est introuvable"),
])
def test_a_local_definition_that_clashes_is_refused(tmp_path, row, models, message):
    write_local_indicators(tmp_path / "local", [CATALOGUE_ROW | row], models)
    with pytest.raises(ConfigError, match=message) as refused:
        load_config(config_file(tmp_path, {"local": "local"}))
    assert "catalogue.csv, ligne 2" in str(refused.value) or "models" in str(refused.value)


def test_a_local_code_given_twice_is_refused(tmp_path):
    write_local_indicators(tmp_path / "local", [CATALOGUE_ROW, CATALOGUE_ROW])
    with pytest.raises(ConfigError, match=r"ligne 3 : le code « L-01 » est déjà donné ligne 2"):
        load_config(config_file(tmp_path, {"local": "local"}))


def test_the_local_indicator_runs_in_its_association_only(demo):
    configs = demo["configs"]
    local = configs[LOCAL_ASSOCIATION]
    assert local.local_dir is not None
    # the association's files are untouched by dbt (it reads a staged copy) and the shared catalogue too
    assert (local.local_dir / "models" / f"{LOCAL_MODEL}.sql").read_text(encoding="utf-8") == MODEL_SQL
    assert not any(code.startswith("L-") for code in by_code())
    values = query(local, """select finess, year, numerator, denominator, value, status, is_local, definitions_release
                             from fct_indicator_values where indicator_code = ? and period_type = 'year'""", [LOCAL_CODE])
    assert values and all(v[6] and v[7] == NEW for v in values)
    # independently: accompagnements ended in the year / (started + ended in the year)
    expected = {(f, y): (e, s + e) for f, y, s, e in query(local, """
        with years as (select distinct year from int_esms)
        select a.finess, years.year,
               count(*) filter (where year(a.start_date) = years.year),
               count(*) filter (where year(a.end_date) = years.year)
        from int_accompagnements as a cross join years group by all""")}
    for finess, year, numerator, denominator, value, status, *_ in values:
        exits, movements = expected.get((finess, year), (0, 0))
        assert (numerator, denominator) == (exits, movements), (finess, year)
        assert status == ("ok" if movements else "not_applicable")
        assert value == (pytest.approx(exits / movements) if movements else None)
    for other in (c for c in configs.values() if c.id != LOCAL_ASSOCIATION):
        assert query(other, "select count(*) from fct_indicator_values where indicator_code like 'L-%'") == [(0,)]
        assert query(other, "select count(*) from dim_indicators where is_local") == [(0,)]
        assert not (other.output_dir / "dashboards" / "indicateur-L-01.html").exists()
    # the local badge in its dashboards, the local mark in its share file
    page = (local.output_dir / "dashboards" / f"esms-{values[0][0]}.html").read_text(encoding="utf-8")
    assert 'data-indicator="L-01"' in page and "badge-local" in page
    assert "badge-local" in (local.output_dir / "dashboards" / "indicateur-L-01.html").read_text(encoding="utf-8")
    share = build_share(local, 2024)
    assert share["version_definitions"] == NEW and share["indicateurs"][LOCAL_CODE]["local"] is True
    shared = [v for v in share["valeurs"] if v["indicateur"] == LOCAL_CODE]
    assert shared and all(v["indicateur_local"] for v in shared)
    assert not any(v["indicateur_local"] for v in share["valeurs"] if v["indicateur"] != LOCAL_CODE)
    # no local variant in the demo: every value is computed under the shared defaults of its release
    assert query(local, "select count(*) from fct_indicator_values where local_variant") == [(0,)]


# ------------------------------------------------------------------------------------------ impact


def expected_rotation(cfg) -> dict[tuple, tuple[float, float]]:
    """A1-20 under each release, from the events and places (AC-18): 2026.1 = exits / places,
    2026.2 = (admissions + exits) / 2 / places; only the values that differ."""
    found = query(cfg, """
        with places as (select finess, year, sum(places_autorisees) as places from int_esms_modes
                        where mode <> 'AJ' group by all),
             events as (select finess, period_type, year, month,
                               count(*) filter (where event = 'admission') as admissions,
                               count(*) filter (where event = 'sortie') as exits
                        from int_a1_period_events where mode <> 'AJ' group by all)
        select f.finess, f.period_type, f.year, f.month, coalesce(e.admissions, 0), coalesce(e.exits, 0), p.places
        from fct_indicator_values as f
        join places as p on p.finess = f.finess and p.year = f.year
        left join events as e on e.finess = f.finess and e.period_type = f.period_type and e.year = f.year
                              and e.month is not distinct from f.month
        where f.indicator_code = 'A1-20' and f.value is not null""")
    return {(finess, kind, year, month): (exits / places, (admissions + exits) / 2 / places)
            for finess, kind, year, month, admissions, exits, places in found if admissions != exits}


def period_key(row: dict) -> tuple:
    return row["period_type"], row["year"], row["month"]


def test_impact_lists_exactly_the_values_that_differ(demo):
    cfg = demo["configs"][LOCAL_ASSOCIATION]
    before = hashlib.sha256(cfg.warehouse_path.read_bytes()).hexdigest()
    expected = expected_rotation(cfg)
    assert len(expected) > 10

    result = CliRunner().invoke(main, ["--associations", str(cfg.config_path.parent), "--output",
                                       str(cfg.output_dir.parent), "definitions", "impact", cfg.id,
                                       "--from", OLD, "--to", NEW, "--share", "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(cfg.warehouse_path.read_bytes()).hexdigest() == before  # only copies were written
    assert f"{len(expected)} valeur(s) changent" in result.output and "A1-20 : 2026.2 : Le numérateur" in result.output

    folder = cfg.output_dir / "impact" / f"{OLD}_vers_{NEW}"
    with open(folder / "impact.csv", encoding="utf-8-sig", newline="") as handle:
        report = list(csv.DictReader(handle, delimiter=";"))
    assert {r["Indicateur"] for r in report} == {"A1-20"}
    number = lambda text: float(text.replace(",", "."))  # noqa: E731
    got = {}
    for r in report:
        kind, period = ("year", r["Période"]) if r["Période"].isdigit() else (
            "month" if r["Période"].startswith("mois") else "ytd", r["Période"].split()[-1])
        year, month = (int(period), None) if kind == "year" else map(int, period.split("-"))
        got[(r["FINESS"], kind, year, month)] = (number(r[f"Valeur {OLD}"]), number(r[f"Valeur {NEW}"]))
        assert "AC-18" in r["Explication (journal des versions)"]
    assert set(got) == set(expected)
    for key, (old, new) in expected.items():
        assert got[key] == (pytest.approx(old), pytest.approx(new)), key

    workbook = load_workbook(folder / "impact.xlsx", read_only=True)
    assert sum(1 for _ in workbook["Impact"].iter_rows(min_row=2)) == len(expected)
    assert (folder / "impact.html").read_text(encoding="utf-8").count('data-indicator="A1-20"') == len(expected)

    # the older release really ran: its copy says so, and its A1-20 is the 2026.1 definition
    older = folder / "entrepots" / OLD / cfg.id / "warehouse.duckdb"
    pinned = dataclasses.replace(cfg, output_dir=older.parent)
    assert query(pinned, "select distinct definitions_release from fct_indicator_values") == [(OLD,)]
    assert query(pinned, "select definition_version from dim_indicators where code = 'A1-20'") == [(OLD,)]

    # committee summary: ESMS whose 2024 value changes and would be published (persons on 31/12 >= SMALL_CELL)
    summary = json.loads((folder / "impact_partage_2024.json").read_text(encoding="utf-8"))
    headcount = dict(query(cfg, """select finess, denominator from fct_indicator_values where indicator_code = 'A1-02'
                                   and period_type = 'year' and year = 2024 and breakdown is not null
                                   group by all"""))
    ok = {f for (f,) in query(cfg, """select finess from fct_indicator_values where indicator_code = 'A1-20'
                                     and period_type = 'year' and year = 2024 and status = 'ok'""")}
    changed = {k[0] for k in expected if k[1:] == ("year", 2024, None) and k[0] in ok
               and (headcount.get(k[0]) or 0) >= SMALL_CELL}
    (entry,) = summary["indicateurs"]
    assert entry["indicateur"] == "A1-20" and entry["esms_changes"] == len(changed)
    assert summary["de"] == OLD and summary["vers"] == NEW and not any(f in json.dumps(summary) for f in headcount)


# ------------------------------------------------- a whole run pinned to the older release, through Dagster


def test_a_run_pinned_to_the_older_release_with_a_local_indicator(tmp_path):
    """`tdbms run` (the Dagster job) of a small association pinned to 2026.1 with the demo's local indicator
    and one local setting: A1-20 is the 2026.1 value (sorties / places), L-01 is computed, every value
    records 2026.1, and the values under the local setting are marked local variants wherever they go."""
    day = dt.date
    persons = [Person(f"U{i}", f"NOM{i}", f"Prénom{i}", "F", day(2012, 1, 1)) for i in range(1, 8)]
    stays = [Stay(f"S{i}", f"U{i}", IME, "INT", day(2023, 9, 4), provenance="DOM") for i in range(1, 5)]
    stays += [Stay("S5", "U5", IME, "INT", day(2023, 9, 4), day(2024, 5, 10), "DOM", "DOM"),
              Stay("S6", "U6", IME, "INT", day(2023, 9, 4), day(2024, 9, 30), "DOM", "DOM"),
              Stay("S7", "U7", IME, "INT", day(2024, 3, 1), provenance="DOM")]
    facts = ActivityFacts(persons=persons, stays=stays, absences=[], extraction_date=day(2025, 1, 31))
    sheet = [{"finess": IME, "year": 2024, "category_code": "183", "mode": "INT", "places_autorisees": 10,
              "places_installees": 10, "jours_ouverture": 210, "journees_financees": 2000}]
    local = write_local_indicators(tmp_path / "local")
    cfg = make_association(tmp_path, "pivot", facts, sheet, assoc_id="epinglee",
                           definitions={"release": OLD, "local": str(local)},
                           settings={"length_of_stay_basis": "last_stay"})  # AC-11: a local variant
    result = CliRunner().invoke(main, ["--associations", str(cfg.config_path), "run", cfg.id])
    assert result.exit_code == 0, result.output

    admissions, exits, places = 1, 2, 10  # 2024: S7 in; S5 and S6 out
    assert indicator(cfg, "A1-20", IME, 2024)["value"] == pytest.approx(exits / places)  # not (1 + 2) / 2 / 10
    assert indicator(cfg, LOCAL_CODE, IME, 2024)["value"] == pytest.approx(exits / (admissions + exits))
    assert query(cfg, "select distinct definitions_release from fct_indicator_values") == [(OLD,)]
    assert query(cfg, "select definition_version from dim_indicators where code = 'A1-20'") == [(OLD,)]
    page = (cfg.output_dir / "dashboards" / "indicateur-A1-20.html").read_text(encoding="utf-8")
    assert "sorties définitives / places autorisées" in page and re.search(rf"définitions\s+partagées version {OLD}", page)

    # local variant: exactly the indicators citing AC-11, in the warehouse, the dashboards, the exports
    citing = {code for code, row in by_code().items() if "AC-11" in row["decision_ids"].split()}
    assert citing and {c for (c,) in query(cfg, "select distinct indicator_code from fct_indicator_values "
                                                 "where local_variant")} == citing
    for code in citing:
        assert "badge-variant" in (cfg.output_dir / "dashboards" / f"indicateur-{code}.html").read_text(encoding="utf-8")
    assert "badge-variant" not in page
    csv_path, _, _ = export_campaign(cfg, 2024, tmp_path / "campagne")
    assert f"{OLD} (variante locale : length_of_stay_basis = last_stay)" in csv_path.read_text(encoding="utf-8-sig")
    share = build_share(cfg, 2024)
    # (the share file's mark is dim_indicators.local_variant, checked above; here its small cells are all hidden)
    assert {v["indicateur"] for v in share["valeurs"] if v["variante_locale"]} == citing & {
        v["indicateur"] for v in share["valeurs"]}
    assert share["variantes_locales"]["length_of_stay_basis"]["defaut"] == "accompagnement"
    assert all(v["variante_locale"] == (v["indicateur"] in citing) for v in share["valeurs"])
