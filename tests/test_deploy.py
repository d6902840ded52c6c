"""Operator deployment (docs/operating.md) with real components: PostgreSQL run storage, one code server per
association from `tdbms deploy workspace`, `dagster-daemon` with deploy/dagster.yaml (max_concurrent_runs = 2).

The three demo associations (copies of the session `demo` configurations with their own secrets and output
folder) plus a fourth whose configuration is broken. Two runs of demo_adultes and one of demo_mixte are
submitted at once: the two runs of one association queue one behind the other, runs of different
associations run side by side. demo_enfance is first run by the daemon-kill test: the daemon is killed in
the middle of its run, whose run worker dies with it (a crashed host), and restarted: the interrupted run
ends failed, the rerun queued meanwhile gives the indicators of `make demo`.
Cost: 4 pipeline runs and one interrupted, the start of four code servers and the daemon, on top of the
shared `demo` fixture (this file is in the `demo` xdist group). Each run pays a Dagster process start and a
whole dbt build: about 4 min each when the 2-core machine also runs the other worker's tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster._core.storage.dagster_run import DagsterRunStatus

from pipelines.config import AssociationConfig, load_config
from pipelines.definitions import ASSOCIATION_TAG
from tests.deploy_stack import BIN, OPERATOR_YAML, deploy_stack, kill_tree

BROKEN = "demo_cassee"
KILLED = "demo_enfance"
RUNS = {"demo_adultes": 2, "demo_mixte": 1}  # submitted at once by the fixture; KILLED runs in its own test
WAIT = 1800  # seconds: a run takes minutes on a loaded 2-core machine


def copy_configs(demo: dict, folder: Path) -> dict[str, AssociationConfig]:
    """The demo configurations in `folder`, each with its own copy of its secret and outputs under folder."""
    configs, secrets = folder / "associations", folder / "secrets"
    configs.mkdir(parents=True)
    secrets.mkdir()
    copies = {}
    for assoc_id, cfg in demo["configs"].items():
        shutil.copy(cfg.secret_path, secrets / cfg.secret_path.name)
        (secrets / cfg.secret_path.name).chmod(0o600)
        text = cfg.config_path.read_text(encoding="utf-8").replace(str(cfg.secret_path), str(secrets / cfg.secret_path.name))
        if cfg.local_dir:  # its local indicators, where its configuration names them (relative path)
            shutil.copytree(cfg.local_dir, configs / cfg.local_dir.relative_to(cfg.config_path.parent))
        path = configs / f"{assoc_id}.toml"
        path.write_text(text + f'\n[output]\nroot = "{folder / "output"}"\n', encoding="utf-8")
        copies[assoc_id] = load_config(path)
    return copies


def indicator_rows(cfg: AssociationConfig) -> list[tuple]:
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:  # doubles rounded: sums may differ in their last bits with DuckDB's order of aggregation
        return con.execute("""select finess, category_code, period_type, year, month, indicator_code, breakdown,
                                     round(numerator, 6), round(denominator, 6), round(value, 6), unit,
                                     definition_version, confidence, status
                              from fct_indicator_values order by all""").fetchall()
    finally:
        con.close()


def mtimes(configs: dict[str, AssociationConfig]) -> dict[str, int]:
    return {assoc_id: cfg.warehouse_path.stat().st_mtime_ns for assoc_id, cfg in configs.items()}


@pytest.fixture(scope="module")
def deployment(demo, tmp_path_factory):
    work = tmp_path_factory.mktemp("deploy")
    configs = copy_configs(demo, work)
    broken = (work / "associations" / f"{KILLED}.toml").read_text(encoding="utf-8")
    (work / "associations" / f"{BROKEN}.toml").write_text(
        broken.replace(f'id = "{KILLED}"', f'id = "{BROKEN}"').replace('family = "export_csv"', 'family = "tableur_maison"'),
        encoding="utf-8")
    demo_mtimes = mtimes(demo["configs"])
    with deploy_stack(work / "associations", work, max_concurrent_runs=2) as stack:
        submitted = time.time()
        run_ids = {assoc_id: [stack.submit(assoc_id) for _ in range(count)] for assoc_id, count in RUNS.items()}
        records = stack.wait(list(itertools.chain(*run_ids.values())), timeout=WAIT)
        yield {"stack": stack, "configs": configs, "run_ids": run_ids, "submitted": submitted,
               "records": {r.dagster_run.run_id: r for r in records}, "demo": demo, "demo_mtimes": demo_mtimes}


def test_operator_instance_file():
    """deploy/dagster.yaml: PostgreSQL storage, queued runs limited per association tag, telemetry off."""
    instance = yaml.safe_load(OPERATOR_YAML.read_text(encoding="utf-8"))
    assert "postgres_db" in instance["storage"]["postgres"]
    coordinator = instance["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    assert coordinator["config"]["max_concurrent_runs"] == {"env": "TDBMS_MAX_CONCURRENT_RUNS"}
    assert coordinator["config"]["tag_concurrency_limits"] == [
        {"key": ASSOCIATION_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    assert instance["telemetry"] == {"enabled": False}


def test_every_run_succeeds_queued_per_association(deployment):
    records = deployment["records"]
    assert {r.dagster_run.status for r in records.values()} == {DagsterRunStatus.SUCCESS}, {
        run_id: r.dagster_run.status for run_id, r in records.items()}
    spans = {run_id: (r.start_time, r.end_time) for run_id, r in records.items()}
    for assoc_id, runs in deployment["run_ids"].items():
        assert {records[run].dagster_run.tags[ASSOCIATION_TAG] for run in runs} == {assoc_id}
        for first, second in itertools.combinations(runs, 2):
            (a_start, a_end), (b_start, b_end) = spans[first], spans[second]
            assert a_end <= b_start or b_end <= a_start, f"two runs of {assoc_id} overlapped"
    # runs of different associations do run side by side, never more than max_concurrent_runs at once
    overlaps = [(a, b) for (a, (sa, ea)), (b, (sb, eb)) in itertools.combinations(spans.items(), 2) if sa < eb and sb < ea]
    assert overlaps
    at_start = [sum(1 for s, e in spans.values() if s <= start < e) for start, _ in spans.values()]
    assert max(at_start) <= 2
    wall = max(e for _, e in spans.values()) - deployment["submitted"]
    print(f"\n{len(spans)} runs via dagster-daemon (max_concurrent_runs=2): {wall:.0f} s wall")


def test_each_warehouse_written_by_its_own_runs_only(deployment):
    records, demo = deployment["records"], deployment["demo"]
    for assoc_id in RUNS:
        cfg = deployment["configs"][assoc_id]
        windows = [(dt.datetime.fromtimestamp(records[r].start_time), dt.datetime.fromtimestamp(records[r].end_time))
                   for r in deployment["run_ids"][assoc_id]]
        con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
        try:
            loads = con.execute("select file_path, loaded_at from load_log").fetchall()
        finally:
            con.close()
        own = [cfg.activity_path, cfg.dsn_path, cfg.fec_path, cfg.esms_sheet_path]
        assert loads
        for file_path, loaded_at in loads:
            assert any(Path(file_path).is_relative_to(folder) for folder in own if folder), file_path
            assert any(start <= loaded_at <= end for start, end in windows), (assoc_id, file_path, loaded_at)
    # the same associations of the `make demo` run (other output folder) were not touched
    assert mtimes(demo["configs"]) == deployment["demo_mtimes"]
    assert not (Path(deployment["configs"][KILLED].output_dir).parent / BROKEN).exists()


def test_indicators_equal_make_demo(deployment):
    for assoc_id in RUNS:
        rows = indicator_rows(deployment["configs"][assoc_id])
        assert rows == indicator_rows(deployment["demo"]["configs"][assoc_id]), assoc_id
        assert len(rows) > 100


def test_broken_configuration_only_breaks_its_own_location(deployment):
    error = deployment["stack"].location_error(BROKEN)
    assert error and f"{BROKEN}.toml" in error and "famille d'activité inconnue « tableur_maison »" in error
    for assoc_id in deployment["configs"]:
        assert deployment["stack"].location_error(assoc_id) is None


def test_daemon_killed_mid_run_then_rerun(deployment):
    """The daemon dies in the middle of a run (SIGKILL), and with it the run worker (as when the host dies).
    The run ends failed; a rerun queued while the daemon was down starts once it is back and gives the same
    indicators as `make demo`."""
    stack, cfg = deployment["stack"], deployment["configs"][KILLED]
    assert not cfg.warehouse_path.exists()  # its first run, killed while it loads (or builds, on a loaded machine)
    lock = cfg.output_dir / ".run.lock"
    interrupted = stack.submit(KILLED)
    deadline = time.monotonic() + 300
    while not (holder := lock.read_text().strip() if lock.exists() else ""):
        assert time.monotonic() < deadline, "the run never started its ingestion"
        time.sleep(0.1)
    worker = int(holder)
    stack.kill_daemon()
    os.kill(worker, 0)  # the run outlives the daemon: it is a process of the association's code server
    rerun = stack.submit(KILLED)
    kill_tree(worker)
    [record] = stack.wait([interrupted], timeout=120)
    assert record.dagster_run.status == DagsterRunStatus.FAILURE
    assert stack.records([rerun])[0].dagster_run.status == DagsterRunStatus.QUEUED
    stack.start_daemon()
    [record] = stack.wait([rerun], timeout=WAIT)
    assert record.dagster_run.status == DagsterRunStatus.SUCCESS
    assert indicator_rows(cfg) == indicator_rows(deployment["demo"]["configs"][KILLED])


def test_deploy_check(deployment, tmp_path):
    """`tdbms deploy check`: exit 0 and a French summary when nothing is shared; each problem named otherwise."""
    folder = deployment["configs"][KILLED].config_path.parent
    good = tmp_path / "good"  # the three good configurations, with the local indicators one of them names
    shutil.copytree(folder, good, ignore=shutil.ignore_patterns(f"{BROKEN}.toml"))
    ok = subprocess.run([str(BIN / "tdbms"), "deploy", "check", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 configuration(s) valide(s) sur 3 ; aucun problème" in ok.stdout

    bad = subprocess.run([str(BIN / "tdbms"), "deploy", "check", str(folder)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "famille d'activité inconnue « tableur_maison »" in bad.stdout and "Traceback" not in bad.stderr

    # a second association pointing at the same secret, sources and output folder, and a secret readable by others
    twin = (good / f"{KILLED}.toml").read_text(encoding="utf-8").replace(f'id = "{KILLED}"', 'id = "jumelle"')
    (good / "jumelle.toml").write_text(twin.replace(f'root = "{folder.parent / "output"}"',
                                                    f'root = "{folder.parent / "output" / KILLED}"'), encoding="utf-8")
    secret = deployment["configs"]["demo_mixte"].secret_path
    secret.chmod(0o644)
    try:
        shared = subprocess.run([str(BIN / "tdbms"), "deploy", "check", str(good)], capture_output=True, text=True)
    finally:
        secret.chmod(0o600)
    assert shared.returncode == 1
    out = shared.stdout
    assert f"jumelle et {KILLED} partagent le même secret de pseudonymisation" in out
    assert "le dossier des extractions d'activité de jumelle" in out
    assert f"le dossier de sorties de jumelle ({folder.parent / 'output' / KILLED / 'jumelle'})" in out
    assert f"le secret {secret} a le mode 0644 au lieu de 0600" in out
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_workspace_one_location_per_association(deployment):
    stack = deployment["stack"]
    workspace = yaml.safe_load(stack.workspace_file.read_text(encoding="utf-8"))
    entries = [entry["grpc_server"] for entry in workspace["load_from"]]
    assert [e["location_name"] for e in entries] == ["demo_adultes", BROKEN, "demo_enfance", "demo_mixte"]
    assert len({e["port"] for e in entries}) == 4
    assert "TDBMS_ASSOCIATIONS=" in stack.workspace_output
