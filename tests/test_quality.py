"""Data quality on a small association with problems planted through its source files: real dbt build
(run_association), real Great Expectations validations on its DuckDB warehouse, runs stored with history,
the Dagster asset checks, the French summary of `tdbms quality`.

Planted: a provenance code the pivot mapping does not know (1 stay of 5: beyond the 5 % tolerated), a
stay whose person is missing from persons.csv, more journées than the sheet's capacity (occupation above
105 %), and a DSN month never delivered. Expected counts and example keys are computed here from the facts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil

import dagster as dg
import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from pipelines import PROJECT_ROOT
from pipelines import run as run_module
from pipelines.cli import main
from pipelines.dbt import target_dir
from pipelines.demo.dsn import write_dsn_files
from pipelines.demo.facts import ActivityFacts, Person, Stay
from pipelines.pseudonymise import Pseudonymiser, load_or_create_secret
from pipelines.quality import blocking_failures, latest_report, run_quality, validate
from pipelines.quality.asset_checks import check_name, quality_checks
from pipelines.quality.results import FAMILIES, SEVERITIES
from pipelines.quality.suites import EXPECTATIONS_DIR, generate, load_suites, merge, suite_text, write_suites
from pipelines.run import check_quality, run_association
from tests.conftest import make_association, query

D = dt.date
FINESS = "990000031"
SIRET = "99000003100012"
YEAR = 2024
PLACES, OPEN_DAYS = 2, 365
DSN_MONTHS = [D(YEAR, 1, 1), D(YEAR, 2, 1), D(YEAR, 3, 1)]
MISSING_DSN_MONTH = D(YEAR, 2, 1)


def planted_facts() -> ActivityFacts:
    persons = [Person(f"P{i}", f"Nom{i}", f"Prénom{i}", "F", D(1940, 1, i)) for i in range(1, 5)]
    stays = [Stay(f"S{i}", f"P{i}", FINESS, "HP", D(2023, 6, 1), None, "DOM") for i in range(1, 5)]
    stays[1].provenance = "XYZ"  # not in seeds/mappings/pivot__codes.csv
    stays.append(Stay("S5", "GHOST", FINESS, "HP", D(YEAR, 3, 1), D(YEAR, 4, 1), "SAN"))  # no such person
    return ActivityFacts(persons=persons, stays=stays, extraction_date=D(YEAR + 1, 1, 31))


def known_provenances() -> set[str]:
    with open(PROJECT_ROOT / "seeds" / "mappings" / "pivot__codes.csv", encoding="utf-8") as handle:
        return {row["vendor_code"] for row in csv.DictReader(handle) if row["domain"] == "provenance"}


def journees(stay: Stay) -> int:
    """Days of YEAR covered by [entry, exit) (AC-01), no absence planted."""
    first = max(stay.entry, D(YEAR, 1, 1))
    end = min(stay.exit or D(YEAR + 1, 1, 1), D(YEAR + 1, 1, 1))
    return max((end - first).days, 0)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The association built and run once; quality run 1 on one suite, run 2 (every suite) via Dagster."""
    root = tmp_path_factory.mktemp("quality")
    dsn = root / "dsn"
    for path in write_dsn_files(dsn, "990000031", [(SIRET, "500")], DSN_MONTHS[0], len(DSN_MONTHS), 3, seed=7,
                                finess={SIRET: FINESS}):
        if f"_{MISSING_DSN_MONTH:%Y%m}" in path.name:
            path.unlink()
    facts = planted_facts()
    sheet = [{"finess": FINESS, "year": YEAR, "category_code": "500", "mode": "HP",
              "places_autorisees": PLACES, "jours_ouverture": OPEN_DAYS}]
    cfg = make_association(root, "pivot", facts, sheet, dsn_path=dsn, dsn_establishments={SIRET: FINESS})
    run_association(cfg, quality=False, dashboards=False)  # the quality runs of this test are explicit

    one_suite = root / "one_suite"
    one_suite.mkdir()
    shutil.copy(EXPECTATIONS_DIR / "dq_source_coverage.json", one_suite)
    first = run_quality(cfg, one_suite)

    run_quality(cfg)  # the full run the Dagster checks report, as the quality_run asset does
    quality_run = dg.AssetKey([cfg.id, "quality_run"])
    checks = quality_checks(cfg, quality_run, manifest=target_dir(cfg) / "manifest.json")
    targets = [dg.AssetSpec(key) for key in {spec.asset_key for spec in checks.check_specs} | {quality_run}]
    outcome = dg.materialize([*targets, checks], selection=dg.AssetSelection.all_asset_checks())
    return cfg, facts, first, latest_report(cfg), outcome


def result(report, check_id):
    matched = [r for r in report.results if r.check_id == check_id]
    assert len(matched) == 1, check_id
    return matched[0]


def test_planted_problems_fail_with_their_counts_and_examples(planted):
    cfg, facts, _, report, _ = planted
    keys = Pseudonymiser(load_or_create_secret(cfg.secret_path))

    unknown = [(line, s) for line, s in enumerate(facts.stays, start=2) if s.provenance not in known_provenances()]
    raw = result(report, "raw_pivot_stays.provenance.code_list")
    assert (raw.success, raw.severity, raw.failing_rows, raw.total_rows) == (False, "avertissement", len(unknown),
                                                                            len(facts.stays))
    assert raw.example_keys == [{"_source_file": "stays.csv", "_line": line} for line, _ in unknown]

    share = result(report, "int_stays.provenance.unknown_share")
    assert len(unknown) / len(facts.stays) > 0.05
    assert (share.success, share.severity, share.failing_rows) == (False, "bloquant", len(unknown))
    assert share.example_keys == [{"finess": FINESS, "stay_key": keys.key(s.stay_id, "stay")} for _, s in unknown]
    assert set(share.feeds) == {"A1-10"}

    person_ids = {p.person_id for p in facts.persons}
    orphans = [s for s in facts.stays if s.person_id not in person_ids]
    links = result(report, "dq_record_links.stay_person")
    assert (links.success, links.failing_rows, links.total_rows) == (False, len(orphans), len(facts.stays))
    assert links.example_keys == [{"link": "stay_person", "finess": FINESS, "record_key": keys.key(s.stay_id, "stay")}
                                  for s in orphans]

    occupation = sum(journees(s) for s in facts.stays) / (PLACES * OPEN_DAYS)
    assert occupation > 1.05
    plausible = result(report, "fct_indicator_values.A1-15.plausible")
    assert (plausible.success, plausible.severity, plausible.failing_rows) == (False, "avertissement", 1)
    assert plausible.example_keys == [{"finess": FINESS, "indicator_code": "A1-15", "period_type": "year",
                                       "year": YEAR, "month": None, "breakdown": "permanent"}]
    capacity = result(report, "dq_capacity.journees_vs_capacity")
    assert (capacity.success, capacity.example_keys) == (False, [{"finess": FINESS, "year": YEAR}])

    coverage = result(report, "dq_source_coverage.dsn")
    assert (coverage.success, coverage.severity, coverage.failing_rows, coverage.total_rows) == (
        False, "bloquant", 1, len(DSN_MONTHS))
    assert coverage.example_keys == [{"source": "dsn", "finess": FINESS, "year": YEAR,
                                      "month": MISSING_DSN_MONTH.month}]
    assert result(report, "dq_source_coverage.activite").success
    assert result(report, "dq_esms_coherence.dsn.in_source").success
    assert result(report, "int_hr_contracts.finess.present").success

    assert (cfg.output_dir / "gx_docs" / "index.html").exists()


def test_blocking_failures_name_the_indicators_they_feed(planted):
    cfg, *_ = planted
    codes = blocking_failures(cfg)
    assert {"A1-10", "A2-04", "A2-05"} <= set(codes)
    assert "A1-15" not in codes and "A3-03" not in codes  # occupation is only signalled; no FEC problem


def test_runs_are_kept_with_their_counts(planted):
    cfg, _, first, latest, _ = planted
    assert (first.run_id, latest.run_id) == (1, 2)
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        runs = con.execute("select * from dq_runs order by run_id").df()
        per_run = dict(con.execute("select run_id, count(*) from dq_results group by run_id").fetchall())
        failed = con.execute(
            "select family, severity, count(*) from dq_results where run_id = 2 and not success group by all"
        ).fetchall()
    finally:
        con.close()
    assert list(runs["run_id"]) == [1, 2]
    assert per_run == {1: len(first.results), 2: len(latest.results)}
    assert list(runs["checks"]) == [len(first.results), len(latest.results)]
    expected = {(family, severity): 0 for family in FAMILIES for severity in SEVERITIES}
    expected |= {(family, severity): n for family, severity, n in failed}
    assert {k: int(runs.iloc[1][f"failed_{k[0]}_{k[1]}"]) for k in expected} == expected
    assert any(r.origin == "dbt" for r in latest.results)  # the dbt data tests are collected too


def test_dagster_checks_report_each_suite_with_its_severity(planted):
    *_, outcome = planted
    evaluations = {(e.asset_key.path[-1], e.check_name): e for e in outcome.get_asset_check_evaluations()}
    coverage = evaluations[("dq_source_coverage", check_name("dq_source_coverage"))]
    assert (coverage.passed, coverage.severity) == (False, dg.AssetCheckSeverity.ERROR)
    capacity = evaluations[("dq_capacity", check_name("dq_capacity"))]
    assert (capacity.passed, capacity.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert evaluations[("raw_pivot_persons", check_name("raw_pivot_persons"))].passed


def test_cli_prints_the_latest_run_in_french_and_fails_on_a_blocking_check(planted):
    cfg, *_ = planted
    out = CliRunner().invoke(main, ["--associations", str(cfg.config_path), "quality", cfg.id])
    assert out.exit_code == 1, out.output
    assert f"Contrôles qualité de l'association {cfg.id} — exécution n° 2" in out.output
    assert "[bloquant] La DSN couvre chaque mois attendu" in out.output
    assert f"exemple : source dsn, FINESS {FINESS}, année {YEAR}, mois {MISSING_DSN_MONTH.month}" in out.output
    assert "Indicateurs marqués « contrôles en échec » : A1-10" in out.output


def test_results_are_those_gx_reports_with_the_key_columns(planted, tmp_path):
    """validate_suites (GX on the checked columns, example keys looked up from the index labels GX reports)
    gives, for every check, the outcome and examples GX gives on the whole frame asked for the key columns
    (`unexpected_index_column_names`, the path it pays per unexpected row)."""
    cfg, *_ = planted
    suites = load_suites()
    results = {r.check_id: r for r in validate.validate_suites(cfg.warehouse_path, suites, tmp_path / "docs")[0]}
    gx = validate.Validator(tmp_path / "reference_docs")
    source = gx.context.data_sources.add_pandas("reference")
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    compared = failed = 0
    try:
        tables = dict(con.execute("select table_name, list(column_name order by ordinal_position) from "
                                  "information_schema.columns where table_schema = 'main' group by table_name").fetchall())
        for suite in suites:
            if suite["name"] not in tables:
                continue
            frame = validate.read_table(con, suite["name"], validate.needed_columns(suite, tables[suite["name"]]))
            if frame.empty:
                continue
            keys = [k for k in suite["meta"]["key_columns"] if k in frame.columns]
            batch = source.add_dataframe_asset(suite["name"]).add_batch_definition_whole_dataframe("all")
            outcome = batch.get_batch(batch_parameters={"dataframe": frame}).validate(
                gx._suite(suite), result_format={"result_format": "SUMMARY", "unexpected_index_column_names": keys})
            for reference in outcome.results:
                mine = results[reference.expectation_config.meta["check_id"]]
                examples = [{k: validate._plain(row[k]) for k in keys}
                            for row in reference.result.get("partial_unexpected_index_list", [])[:validate.MAX_EXAMPLES]]
                assert (mine.success, mine.failing_rows, mine.total_rows, mine.example_keys) == (
                    reference.success, reference.result.get("unexpected_count"), reference.result.get("element_count"),
                    examples), mine.check_id
                compared += 1
                failed += not mine.success
    finally:
        con.close()
    assert compared == len(results) and failed >= 5  # the planted failures, with their examples, are compared


def duckdb_frame(con, table: str, columns: list[str]):
    """The table as DuckDB's own pandas conversion gives it, dates as datetime.date (the read before Arrow)."""
    frame = con.execute(f'select {", ".join(columns)} from "{table}"').df()
    for column in frame.select_dtypes(include="datetime").columns:
        frame[column] = frame[column].dt.date
    return frame


def test_tables_are_read_as_duckdb_converts_them(planted, tmp_path):
    """read_table (through Arrow) gives the frame of DuckDB's .df(), dtypes included: every checked table of
    the planted warehouse, and a table of the awkward cases (decimals, missing integers, booleans and dates,
    a day on two rows, text and date columns without any value)."""
    cfg, *_ = planted
    con = duckdb.connect(str(tmp_path / "cases.duckdb"))
    try:
        con.execute("""create table cases as select * from (values
            (1, 1.25::decimal(18, 2), 7, true, date '2024-02-29', 'a', null::varchar, 0.1::decimal(18, 2), null::date),
            (2, 20460327.34, null, null, null, null, null, 12331924.77, null),
            (3, 0, 8, false, date '2024-02-29', 'b', null, 0, null))
            t(n, amount, count, flag, day, code, empty, debit, no_day)""")
        columns = ["n", "amount", "count", "flag", "day", "code", "empty", "debit", "no_day"]
        pd.testing.assert_frame_equal(validate.read_table(con, "cases", columns), duckdb_frame(con, "cases", columns),
                                      check_exact=True)
    finally:
        con.close()
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        tables = dict(con.execute("select table_name, list(column_name order by ordinal_position) from "
                                  "information_schema.columns where table_schema = 'main' group by table_name").fetchall())
        for suite in load_suites():
            if suite["name"] in tables:
                columns = validate.needed_columns(suite, tables[suite["name"]])
                pd.testing.assert_frame_equal(validate.read_table(con, suite["name"], columns),
                                              duckdb_frame(con, suite["name"], columns), check_exact=True)
    finally:
        con.close()


def test_fct_indicator_values_is_marked_again_only_when_the_blocked_indicators_change(planted, monkeypatch):
    """check_quality rebuilds fct_indicator_values after the checks only when the new run blocks other
    indicators than the run it was marked with (recorded by the model's post-hook); a later quality run (the
    quality_run asset materialised alone) still finds the build's dbt data tests."""
    cfg, *_ = planted

    def alter(sql: str) -> None:
        con = duckdb.connect(str(cfg.warehouse_path))
        con.execute(sql)
        con.close()

    rebuilds = []
    real_dbt = run_module.run_dbt
    monkeypatch.setattr(run_module, "run_dbt", lambda cfg_, args: rebuilds.append(args) or real_dbt(cfg_, args))
    dbt_tests = {r.check_id for r in run_quality(cfg).results if r.origin == "dbt"}
    alter("drop table fct_indicator_values_quality_run")  # a table built before its mark was recorded
    check_quality(cfg)  # unknown mark: rebuilt, whatever the run blocks
    assert len(rebuilds) == 1
    alter("update fct_indicator_values_quality_run set run_id = null")  # as built before any quality run
    rebuilds.clear()

    first = check_quality(cfg)
    marked_run = "select run_id from fct_indicator_values_quality_run"
    assert len(rebuilds) == 1 and query(cfg, marked_run) == [(first.run_id,)]
    failed_checks = "select distinct indicator_code from fct_indicator_values where status = 'failed_checks'"
    marked = set(query(cfg, failed_checks))
    assert {("A1-10",), ("A2-04",), ("A2-05",)} <= marked and first.blocking

    second = check_quality(cfg)  # the same indicators blocked: nothing to rebuild
    assert second.run_id == first.run_id + 1 and second.blocked_feeds == first.blocked_feeds
    assert len(rebuilds) == 1 and query(cfg, marked_run) == [(first.run_id,)]
    assert set(query(cfg, failed_checks)) == marked
    assert dbt_tests and {r.check_id for r in run_quality(cfg).results if r.origin == "dbt"} == dbt_tests


def test_suites_merge_keeps_hand_edits(tmp_path):
    write_suites(tmp_path)
    path = tmp_path / "int_stays.json"
    edited = json.loads(path.read_text(encoding="utf-8"))
    check = edited["expectations"][0]
    check["kwargs"]["mostly"] = 0.8
    check["meta"]["severity"] = "info"
    check["meta"]["description"] = "texte à régénérer"
    edited["expectations"].append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "finess"},
                                   "meta": {"check_id": "int_stays.finess.a_la_main", "family": "completeness",
                                            "severity": "avertissement", "description": "écrit à la main",
                                            "feeds": ["*"]}})
    path.write_text(json.dumps(edited), encoding="utf-8")

    assert write_suites(tmp_path)["mises à jour"] == ["int_stays"]
    merged = json.loads(path.read_text(encoding="utf-8"))
    first = merged["expectations"][0]
    assert (first["kwargs"]["mostly"], first["meta"]["severity"]) == (0.8, "info")
    assert first["meta"]["description"] != "texte à régénérer"
    assert merged["expectations"][-1]["meta"]["check_id"] == "int_stays.finess.a_la_main"
    assert write_suites(tmp_path) == {"créées": [], "mises à jour": []}


def test_repository_suites_are_up_to_date():
    """Generating the suites again would change nothing in expectations/ (`python -m pipelines.quality.suites`)."""
    for generated in generate():
        path = EXPECTATIONS_DIR / f"{generated['name']}.json"
        assert path.exists(), f"{path.name} manque : lancez python -m pipelines.quality.suites"
        existing = json.loads(path.read_text(encoding="utf-8"))
        assert suite_text(merge(generated, existing)) == path.read_text(encoding="utf-8"), (
            f"{path.name} n'est pas à jour : lancez python -m pipelines.quality.suites")
