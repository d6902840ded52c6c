"""The foundation: Dagster factory, no pooling, idempotence, pseudonymisation, catalogue coverage."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

import duckdb
import pytest

from pipelines import PROJECT_ROOT
from pipelines.catalogue import load_catalogue
from pipelines.dagster_run import run_job
from pipelines.definitions import build_definitions
from pipelines.demo.facts import Absence, ActivityFacts, Person, Stay
from pipelines.run import run_association
from tests.conftest import make_association, query

D = dt.date


def small_facts(prefix: str, finess: str) -> ActivityFacts:
    persons = [
        Person(f"{prefix}{i:04d}", f"Zorglub{prefix}{i}", f"Anatole{prefix}{i}", "F", D(1960 + i, 3, 1),
               nir=f"2{60 + i:02d}0375{i:03d}123{i:03d}"[:13], main_deficiency="DI")
        for i in range(1, 4)
    ]
    stays = [Stay(f"{prefix}S{i}", p.person_id, finess, "HP", D(2023, 6, i), None, "DOM") for i, p in enumerate(persons, 1)]
    absences = [Absence(f"{prefix}S1", D(2024, 2, 10), D(2024, 2, 12), "HOSP")]
    return ActivityFacts(persons=persons, stays=stays, absences=absences, extraction_date=D(2025, 1, 15))


def sheet(finess: str, category: str = "255") -> list[dict]:
    return [{"finess": finess, "year": 2024, "category_code": category, "mode": "HP",
             "places_autorisees": 3, "jours_ouverture": 365}]


ASSOCIATIONS = {"asso_un": ("export_csv", "990100001"), "asso_deux": ("pivot", "990200002"),
                "asso_trois": ("export_csv", "990300003")}


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("three")
    return {
        assoc_id: make_association(root, family, small_facts(assoc_id[-4:].upper(), finess), sheet(finess), assoc_id=assoc_id)
        for assoc_id, (family, finess) in ASSOCIATIONS.items()
    }


def test_factory_gives_each_association_its_own_assets_group_job_schedule_and_sensor(three):
    defs = build_definitions(list(three.values()))
    keys_by_association: dict[str, set] = {a: set() for a in three}
    for assets_def in defs.assets:
        for key in assets_def.keys:
            keys_by_association[key.path[0]].add(key)
            assert assets_def.group_names_by_key[key] == key.path[0]
    for assoc_id, keys in keys_by_association.items():
        assert [k for k in keys if k.path[-1] == "fct_indicator_values"], assoc_id
        assert defs.resolve_job_def(f"{assoc_id}_job").tags["tdbms/association"] == assoc_id
        assert defs.resolve_schedule_def(f"{assoc_id}_nightly")
        assert defs.resolve_sensor_def(f"{assoc_id}_new_sources")
    all_keys = [k for keys in keys_by_association.values() for k in keys]
    assert len(all_keys) == len(set(all_keys))


@pytest.fixture(scope="module")
def ran(three) -> dict:
    """Run asso_un through its real Dagster job, asso_deux directly; asso_trois is never run."""
    assert run_job(three["asso_un"]).success
    run_association(three["asso_deux"])
    return three


def test_each_run_writes_only_its_own_warehouse(ran):
    assert ran["asso_un"].warehouse_path.exists()
    assert ran["asso_deux"].warehouse_path.exists()
    assert not ran["asso_trois"].warehouse_path.exists()
    assert ran["asso_un"].warehouse_path != ran["asso_deux"].warehouse_path


def _all_text(cfg) -> str:
    """Every text value of every table of the warehouse."""
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        chunks = []
        for (table,) in con.execute("select table_name from information_schema.tables where table_type = 'BASE TABLE'").fetchall():
            chunks.append(" ".join(str(v) for row in con.execute(f'select * from "{table}"').fetchall() for v in row))
        return "\n".join(chunks)
    finally:
        con.close()


def test_no_pooling_no_finess_of_one_association_in_another(ran):
    text_un, text_deux = _all_text(ran["asso_un"]), _all_text(ran["asso_deux"])
    assert ASSOCIATIONS["asso_un"][1] in text_un and ASSOCIATIONS["asso_deux"][1] in text_deux
    for finess in (ASSOCIATIONS["asso_deux"][1], ASSOCIATIONS["asso_trois"][1]):
        assert finess not in text_un
    for finess in (ASSOCIATIONS["asso_un"][1], ASSOCIATIONS["asso_trois"][1]):
        assert finess not in text_deux


def test_no_name_nir_or_vendor_number_in_the_warehouse_file(ran):
    for assoc_id in ("asso_un", "asso_deux"):
        cfg = ran[assoc_id]
        facts = small_facts(assoc_id[-4:].upper(), ASSOCIATIONS[assoc_id][1])
        raw = cfg.warehouse_path.read_bytes()
        text = _all_text(cfg)
        for person in facts.persons:
            for secret in (person.last_name, person.first_name, person.nir, person.person_id):
                if secret:
                    assert secret.encode() not in raw and secret not in text, secret
        mode = stat.S_IMODE(cfg.secret_path.stat().st_mode)
        assert mode == 0o600


def test_reloading_the_same_files_changes_nothing(ran):
    cfg = ran["asso_deux"]
    tables = ["raw_pivot_persons", "raw_pivot_stays", "raw_pivot_absences", "rejects"]
    before = {t: query(cfg, f"select count(*) from {t}")[0][0] for t in tables}
    values_before = query(cfg, "select * from fct_indicator_values order by all")
    report = run_association(cfg)
    assert {r.status for r in report.results} == {"deja_charge"}
    assert {t: query(cfg, f"select count(*) from {t}")[0][0] for t in tables} == before
    assert query(cfg, "select * from fct_indicator_values order by all") == values_before
    assert query(cfg, "select count(*) from load_log where status = 'charge'")[0][0] == len(report.results)


def test_catalogue_covers_every_indicator_model_and_claims_only_existing_models():
    catalogue = load_catalogue()
    codes = [row["code"] for row in catalogue]
    assert len(codes) == len(set(codes)) == 45
    assert all(re.fullmatch(r"A[1-4]-\d\d", code) for code in codes)
    model_files = {p.stem for p in (PROJECT_ROOT / "models" / "marts" / "indicators").rglob("ind_*.sql")}
    claimed = {row["model"] for row in catalogue if row["model"]}
    assert claimed <= model_files, f"catalogue rows claim missing models: {claimed - model_files}"
    assert model_files <= claimed, f"indicator models without a catalogue row: {model_files - claimed}"
    for row in catalogue:
        if row["model"]:
            code = row["code"].lower().replace("-", "_")
            assert row["model"].startswith(f"ind_{code}_"), row
            sql = (next((PROJECT_ROOT / "models").rglob(f"{row['model']}.sql"))).read_text(encoding="utf-8")
            assert f"'{row['code']}'" in sql, f"{row['model']} does not produce {row['code']}"
        assert row["confidence"] in ("verified", "inferred")


def test_fct_indicator_values_carries_catalogue_codes_and_statuses(ran):
    cfg = ran["asso_deux"]
    computed = {row["code"] for row in load_catalogue() if row["model"]}
    produced = {r[0] for r in query(cfg, "select distinct indicator_code from fct_indicator_values")}
    assert produced == computed
    statuses = {r[0] for r in query(cfg, "select distinct status from fct_indicator_values")}
    assert statuses <= {"ok", "not_applicable", "not_available", "missing_input", "failed_checks"}
    assert query(cfg, "select count(*) from fct_indicator_values where definition_version is null or unit is null")[0][0] == 0


def test_pivot_format_doc_is_generated_from_the_reader():
    from pipelines.readers.pivot import format_markdown

    assert (PROJECT_ROOT / "docs" / "pivot.md").read_text(encoding="utf-8") == format_markdown()


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace('family = "export_csv"', 'family = "logiciel_x"'), "famille d'activité inconnue"),
    (lambda t: re.sub(r'\nname = .*\n', "\n", t), "« name » est absente"),
    (lambda t: t.replace('path = "' , 'path = "/nulle/part/', 1), "n'existe pas"),
    (lambda t: t + '\n[settings]\nmaladie = 3\n', "paramètre inconnu"),
    (lambda t: t + '\n[dsn]\npath = "."\n[dsn.establishments]\n"99000000000018" = "12345"\n', "FINESS « 12345 » est invalide"),
    (lambda t: t + '\n[duckdb]\nthreads = 0\n', "[duckdb] threads = 0 : un nombre entier de 1 à 256 est attendu"),
    (lambda t: t + '\n[duckdb]\nmemory_limit = "beaucoup"\n', "[duckdb] memory_limit = 'beaucoup' : une taille"),
    (lambda t: t + '\n[duckdb]\nthread = 2\n', "[duckdb] : clé(s) inconnue(s) thread"),
])
def test_bad_configuration_gives_a_french_error_without_traceback(tmp_path, three, edit, expected):
    import subprocess
    import sys

    source = three["asso_un"].config_path.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(edit(source), encoding="utf-8")
    tdbms = Path(sys.executable).parent / "tdbms"
    result = subprocess.run([str(tdbms), "--associations", str(bad), "list"], capture_output=True, text=True)
    assert result.returncode != 0
    assert expected in result.stderr and str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_duckdb_threads_and_memory_limit_of_the_configuration_reach_ingestion_and_dbt(tmp_path, three):
    """[duckdb]: an operator bounds each association's DuckDB (ingestion connection and dbt's)."""
    import json

    from pipelines.config import load_config
    from pipelines.dbt import run_dbt
    from pipelines.warehouse import connect

    source = three["asso_un"].config_path
    bounded = source.with_name("bounded.toml")
    bounded.write_text(source.read_text(encoding="utf-8").replace('id = "asso_un"', 'id = "asso_bornee"')
                       + '\n[duckdb]\nthreads = 1\nmemory_limit = "300MB"\n', encoding="utf-8")
    cfg = load_config(bounded, output_root=tmp_path / "output")
    expected = [1, "286.1 MiB"]  # DuckDB shows 300 MB in MiB
    con = connect(cfg.warehouse_path, config=cfg.duckdb)
    try:
        assert list(con.execute("select current_setting('threads'), current_setting('memory_limit')").fetchone()) == expected
    finally:
        con.close()
    shown = run_dbt(cfg, ["show", "--inline", "select current_setting('threads') as t, current_setting('memory_limit') as m",
                          "--output", "json", "--log-format", "text"])
    rows = json.loads(shown.stdout[shown.stdout.index("{"):shown.stdout.rindex("}") + 1])["show"]
    assert [rows[0]["t"], rows[0]["m"]] == expected


def test_dbt_version_is_answered_offline(tmp_path):
    """dagster-dbt runs `dbt --version`, whose own answer queries PyPI: the launcher answers it without network
    (a sitecustomize records any connection attempt of the process)."""
    import subprocess

    from pipelines.dbt import dbt_executable

    marker = tmp_path / "connections"
    (tmp_path / "sitecustomize.py").write_text(
        "import socket\n"
        "def _refuse(self, address, *args):\n"
        f"    open({str(marker)!r}, 'a').write(repr(address) + '\\n')\n"
        "    raise OSError('réseau interdit')\n"
        "socket.socket.connect = _refuse\n"
        "socket.socket.connect_ex = _refuse\n", encoding="utf-8")
    result = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert result.returncode == 0 and re.search(r"installed: \d+\.\d+\.\d+", result.stdout), result.stdout
    assert not marker.exists(), marker.read_text()
