"""The operator deployment of docs/operating.md brought up for real in a temporary folder (tests/test_deploy.py,
benchmarks/deploy.py): a throwaway PostgreSQL (Debian's initdb + pg_ctl, loopback only, password auth), one
`dagster code-server` per association from the workspace written by `tdbms deploy workspace`, and
`dagster-daemon` with deploy/dagster.yaml. Every process is stopped and every file removed on exit, even
when the caller fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster._cli.job import _create_run
from dagster._core.storage.dagster_run import DagsterRunStatus, RunRecord, RunsFilter
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._grpc.client import DagsterGrpcClient

from pipelines import PROJECT_ROOT
from pipelines.deploy import DEFAULT_HOST, Location, locations

BIN = Path(sys.executable).parent
OPERATOR_YAML = PROJECT_ROOT / "deploy" / "dagster.yaml"
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"{name} introuvable : installez PostgreSQL (paquet Debian postgresql).")
    return found


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports, below the kernel's ephemeral range (a port of
    that range can be taken by any outgoing connection between this check and the server's bind)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        first = random.randrange(20000, low - count)
        try:
            with contextlib.ExitStack() as stack:
                for port in range(first, first + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind((DEFAULT_HOST, port))
            return first
        except OSError:
            continue
    raise RuntimeError("pas de ports libres consécutifs")


@contextlib.contextmanager
def postgres() -> Iterator[dict[str, str]]:
    """A PostgreSQL cluster in a temporary folder on 127.0.0.1 (a free port), with a database `dagster`;
    yields the TDBMS_PG_* variables of deploy/dagster.yaml. As root, the server runs as user postgres."""
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="tdbms-pg-"))
    password = secrets.token_hex(16)
    (folder / "pw").write_text(password + "\n", encoding="utf-8")
    if as_postgres:
        for path in (folder, folder / "pw"):
            shutil.chown(path, "postgres", "postgres")
    data, port = folder / "data", free_ports(1)
    started = False
    try:
        subprocess.run([*as_postgres, pg_bin("initdb"), "-D", str(data), "-U", "tdbms", f"--pwfile={folder / 'pw'}",
                        "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True)
        options = f"-c listen_addresses={DEFAULT_HOST} -p {port} -k {folder} -c fsync=off"
        subprocess.run([*as_postgres, pg_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                        "-o", options, "-w", "start"], check=True, capture_output=True)
        started = True
        env = {"TDBMS_PG_HOST": DEFAULT_HOST, "TDBMS_PG_PORT": str(port), "TDBMS_PG_USER": "tdbms",
               "TDBMS_PG_PASSWORD": password, "TDBMS_PG_DB": "dagster"}
        import psycopg2

        con = psycopg2.connect(host=DEFAULT_HOST, port=port, user="tdbms", password=password, dbname="postgres")
        con.autocommit = True
        con.cursor().execute("create database dagster")
        con.close()
        yield env
    finally:
        if started:
            subprocess.run([*as_postgres, pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


class Processes:
    """Long-running processes, each in its own process group, output in a log file."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.running[name] = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)
        log.close()

    def kill(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), deepest last."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(Path(stat).parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started (a crash of the run worker, dbt included)."""
    for target in [pid, *descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)


class DeployStack:
    """PostgreSQL + code servers + daemon of one workspace; submit runs and read the run storage."""

    def __init__(self, configs: Path, work: Path, pg_env: dict[str, str], max_concurrent_runs: int):
        self.work = work
        home = work / "dagster_home"
        home.mkdir(parents=True)
        shutil.copy(OPERATOR_YAML, home / "dagster.yaml")
        self.env = dict(os.environ, **pg_env, DAGSTER_HOME=str(home),
                        TDBMS_MAX_CONCURRENT_RUNS=str(max_concurrent_runs))
        self.workspace_file = work / "workspace.yaml"
        first_port = free_ports(len(list(configs.glob("*.toml"))))
        written = subprocess.run(
            [str(BIN / "tdbms"), "deploy", "workspace", str(configs), "--out", str(self.workspace_file),
             "--first-port", str(first_port)], env=self.env, capture_output=True, text=True, check=True)
        self.workspace_output = written.stdout
        self.locations: list[Location] = locations(configs, first_port=first_port)
        (work / "logs").mkdir()
        self.processes = Processes(work / "logs")
        self._saved_env = dict(os.environ)
        self.instance: dg.DagsterInstance | None = None
        self.workspace: WorkspaceProcessContext | None = None

    def start(self) -> None:
        for location in self.locations:
            self.processes.start(location.name, location.command(), dict(self.env, **location.environment()))
        for location in self.locations:
            self._wait_serving(location)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("TDBMS_", "DAGSTER_"))})
        self.instance = dg.DagsterInstance.get()
        self.workspace = WorkspaceProcessContext(self.instance, WorkspaceFileTarget(paths=[str(self.workspace_file)]))
        self.start_daemon()

    def _wait_serving(self, location: Location, timeout: float = 240) -> None:
        client = DagsterGrpcClient(port=location.port, host=location.host)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping("")
                return
            except Exception:
                process = self.processes.running[location.name]
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (self.processes.logs / f"{location.name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"le serveur de code {location.name} ne répond pas :\n{log}") from None
                time.sleep(0.5)

    def start_daemon(self) -> None:
        self.processes.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(self.workspace_file)], self.env)

    def kill_daemon(self) -> None:
        self.processes.kill("daemon", signal.SIGKILL)

    def close(self) -> None:
        try:
            if self.workspace:  # first: it watches the code servers and would warn when they go away
                self.workspace.__exit__(None, None, None)
            self.processes.stop_all()
            if self.instance:
                self.instance.dispose()
        finally:
            os.environ.clear()
            os.environ.update(self._saved_env)

    def location_error(self, name: str) -> str | None:
        error = self.workspace.create_request_context().get_code_location_error(name)
        return error.to_string() if error else None

    def submit(self, location: str) -> str:
        """Submit the association's job to Dagster's run queue (what the UI's Launch button does)."""
        request = self.workspace.create_request_context()
        code_location = request.get_code_location(location)
        repository = next(iter(code_location.get_repositories().values()))
        job = next(j for j in repository.get_all_jobs() if j.name.endswith("_job") and not j.name.startswith("__"))
        run = _create_run(instance=self.instance, code_location=code_location, remote_repo=repository,
                          remote_job=job, run_config={}, tags=None, op_selection=None, run_id=None)
        self.instance.submit_run(run.run_id, request)
        return run.run_id

    def records(self, run_ids: list[str]) -> list[RunRecord]:
        return list(self.instance.get_run_records(RunsFilter(run_ids=run_ids)))

    def wait(self, run_ids: list[str], timeout: float = 900,
             statuses: set[DagsterRunStatus] = FINISHED) -> list[RunRecord]:
        deadline = time.monotonic() + timeout
        while True:
            records = self.records(run_ids)
            if len(records) == len(run_ids) and all(r.dagster_run.status in statuses for r in records):
                return records
            if time.monotonic() > deadline:
                states = {r.dagster_run.run_id: r.dagster_run.status.value for r in records}
                raise TimeoutError(f"runs non terminés après {timeout} s : {states}")
            time.sleep(1)


@contextlib.contextmanager
def deploy_stack(configs: Path, work: Path, max_concurrent_runs: int = 2) -> Iterator[DeployStack]:
    with postgres() as pg_env:
        stack = DeployStack(configs, work, pg_env, max_concurrent_runs)
        try:
            stack.start()
            yield stack
        finally:
            stack.close()
