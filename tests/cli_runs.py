"""Associations built in a temporary folder and run by the real command line (`tdbms` in a subprocess), for the
tests of whole runs: bad-input corpus, crash safety, concurrency, privacy of the outputs.

- `build_association`: a small good association of one activity family (tests.test_activity_families.facts
  through the demo writer, an ESMS-sheet folder), with DSN and FEC sources (demo generators) when asked;
- `corpus_runs`: those associations plus the broken files of tests/fixtures/bad/cases.toml, each run once per
  test session (a `tdbms run` costs about 45 s of CPU, mostly fixed: dbt, quality, dashboards), all started
  together; while the export_csv one holds its run lock, a second `tdbms run` of it is started (its answer is
  kept for test_concurrency.py);
- `Run`: a `tdbms run` in its own process group whose output is read line by line, to wait for a marker of
  its progress and kill the whole run (SIGKILL) right after it;
- `warehouse_problems`: what is incoherent between load_log, rejects and the raw tables.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import ACTIVITY_FAMILIES, AssociationConfig, load_config
from pipelines.demo.association import write_config
from pipelines.demo.dsn import write_dsn_files
from pipelines.demo.esms_sheet import write_esms_sheet
from pipelines.demo.fec import write_fec_files
from pipelines.demo.writers import writer
from pipelines.sources import available_readers
from tests.conftest import query
from tests.fixtures.bad import make_cases
from tests.test_activity_families import A, B, facts

TDBMS = str(Path(sys.executable).parent / "tdbms")
SIREN, SIRET = "123456782", "12345678200011"
SHEET = [  # the ESMS sheet of the facts' two ESMS, 2024
    *({"finess": A, "year": 2024, "category_code": "500", "mode": mode, "places_autorisees": places,
       "places_installees": places, "jours_ouverture": days, "esms_name": "EHPAD Les Tilleuls"}
      for mode, places, days in (("HP", 10, 365), ("HT", 2, 365), ("AJ", 4, 250))),
    {"finess": B, "year": 2024, "category_code": "182", "mode": "SERV", "places_autorisees": 5,
     "jours_ouverture": 250, "esms_name": "SESSAD Les Tilleuls"},
]
PROGRESS = r"^\s*· "  # a progress line of `tdbms run`: printed while the run holds its lock


def has_traceback(text: str) -> bool:
    """A Python traceback, or the stack trace Dagster prints with a failed step."""
    return "Traceback (most recent call last)" in text or "Stack Trace:" in text


def build_association(root: Path, family: str, assoc_id: str, hr_finance: bool = False) -> AssociationConfig:
    """A small good association under `root`: activity, ESMS sheet folder, and DSN + FEC when `hr_finance`."""
    sources = root / "sources"
    writer(family)(facts(), sources / "activity")
    write_esms_sheet(sources / "esms" / "caracterisation.csv", SHEET)
    extra = {}
    if hr_finance:
        write_dsn_files(sources / "dsn", SIREN, [(SIRET, "500")], dt.date(2024, 1, 1), 3, 4, seed=7, finess={SIRET: A})
        write_fec_files(sources / "fec", SIREN, {"ESMS01": "500"}, [2024], seed=7, lines_target=400)
        extra = {"dsn_path": sources / "dsn", "dsn_establishments": {SIRET: A},
                 "fec_path": sources / "fec", "fec_dossiers": {"ESMS01": A}}
    config = write_config(
        root / f"{assoc_id}.toml", assoc_id=assoc_id, name=f"Association {assoc_id}", family=family,
        activity_path=sources / "activity", esms_sheet_path=sources / "esms", secret_path=root / "secret.key",
        output_root=root / "output", **extra,
    )
    return load_config(config)


def sources_dir(cfg: AssociationConfig) -> Path:
    return cfg.activity_path.parent


def command(cfg: AssociationConfig, *args: str) -> list[str]:
    """`tdbms` on the association (its configuration file, its output root), then `args`."""
    return [TDBMS, "--associations", str(cfg.config_path), "--output", str(cfg.output_dir.parent), *args]


def tdbms(cfg: AssociationConfig, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command(cfg, *args), capture_output=True, text=True, timeout=timeout)


class Run:
    """`tdbms run <id>` in its own process group; stdout and stderr read together, line by line."""

    def __init__(self, cfg: AssociationConfig):
        self.cfg = cfg
        self.process = subprocess.Popen(
            command(cfg, "run", cfg.id), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, occurrence: int = 1, timeout: float = 600) -> str:
        """The `occurrence`-th line matching `pattern`, as soon as it is printed."""
        regex = re.compile(pattern)

        def found() -> list[str]:
            return [line for line in self.lines if regex.search(line)]

        with self._changed:
            self._changed.wait_for(lambda: len(found()) >= occurrence or not self._reader.is_alive(), timeout)
            matches = found()
        assert len(matches) >= occurrence, f"« {pattern} » n'est pas apparu :\n{self.output[-3000:]}"
        return matches[occurrence - 1]

    def wait_for_file(self, path: Path, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not path.exists():
            assert self.process.poll() is None and time.monotonic() < deadline, f"{path} absent :\n{self.output[-3000:]}"
            time.sleep(0.02)

    def kill(self, whole_group: bool = True, children_deadline: float = 60) -> None:
        """SIGKILL to the run and its children (dbt), as a crash would, or to the `tdbms` process alone (its
        children must then die with it); returns once none of them is left (a child still exiting still
        holds its lock on the warehouse)."""
        if whole_group:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.kill()
        self.finish()
        deadline = time.monotonic() + children_deadline
        while _living_members(self.process.pid):
            assert time.monotonic() < deadline, f"processus encore vivants : {_living_members(self.process.pid)}"
            time.sleep(0.01)

    def finish(self, timeout: float = 600) -> int:
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code


def _living_members(group: int) -> list[int]:
    """Processes of a process group that have not exited yet (zombies excluded), from /proc."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after « pid (command) »: state, ppid, pgrp…
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == group and fields[0] != "Z":
            living.append(int(stat.parent.name))
    return living


# --- the bad-input corpus ---

BAD = Path(__file__).parent / "fixtures" / "bad"
HR_FINANCE_FAMILY = "export_csv"  # its corpus association also holds the DSN, FEC and ESMS-sheet cases


@dataclass(frozen=True)
class Case:
    kind: str
    place: str
    outcome: str
    file: str | None = None
    copy_of: str | None = None
    line: int | None = None
    rejected: int = 0
    message: str = ""

    @property
    def family(self) -> str:
        return self.kind if self.kind in ACTIVITY_FAMILIES else HR_FINANCE_FAMILY


def load_cases() -> list[Case]:
    with open(BAD / "cases.toml", "rb") as handle:
        return [Case(**case) for case in tomllib.load(handle)["case"]]


def corpus_association(root: Path, family: str, generated: dict[str, Path]) -> tuple[AssociationConfig, list[Case]]:
    """The good association of `family` with the broken files of its cases in their places."""
    cfg = build_association(root, family, f"corpus_{family}", hr_finance=family == HR_FINANCE_FAMILY)
    sources = sources_dir(cfg)
    cases = [case for case in load_cases() if case.family == family]
    for case in cases:
        origin = sources / case.copy_of if case.copy_of else generated.get(case.file, BAD / case.file)
        target = sources / case.place
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, target)
    return cfg, cases


@dataclass
class CorpusRun:
    cfg: AssociationConfig
    cases: list[Case]
    returncode: int
    output: str
    rival: subprocess.CompletedProcess | None = None  # a second `tdbms run` started while this one ran


_CORPUS: dict[str, CorpusRun] = {}


def corpus_runs(tmp_path_factory, families: list[str]) -> dict[str, CorpusRun]:
    """The corpus associations of `families`, each run once per session (those not run yet, together)."""
    missing = [family for family in families if family not in _CORPUS]
    if missing:
        generated = make_cases.generate(tmp_path_factory.mktemp("bad-cases"))
        runs = {}
        for family in missing:
            cfg, cases = corpus_association(tmp_path_factory.mktemp(f"corpus-{family}"), family, generated)
            runs[family] = (cfg, cases, Run(cfg))
        rival = None
        if HR_FINANCE_FAMILY in runs:
            cfg, _, run = runs[HR_FINANCE_FAMILY]
            run.wait_for(PROGRESS)
            rival = tdbms(cfg, "run", cfg.id)
        for family, (cfg, cases, run) in runs.items():
            _CORPUS[family] = CorpusRun(cfg, cases, run.finish(), run.output,
                                        rival if family == HR_FINANCE_FAMILY else None)
    return {family: _CORPUS[family] for family in families}


# --- the warehouse ---

def raw_tables() -> list[str]:
    return sorted(table for module in available_readers().values() for table in module.TABLES)


def warehouse_problems(cfg: AssociationConfig) -> list[str]:
    """Incoherences between load_log, rejects and the raw tables (empty when the warehouse is coherent)."""
    rows_by_hash = " union all ".join(f"select _file_hash, count(*) as n from {t} group by all" for t in raw_tables())
    checks = {
        "fichier chargé deux fois": """
            select source_kind, file_hash, count(*) from load_log where status = 'charge' group by all having count(*) > 1""",
        "refus enregistré deux fois": """
            select file_path, count(*) from load_log where status = 'rejete' group by all having count(*) > 1""",
        "lignes chargées ≠ lignes des tables brutes": f"""
            with raw as (select _file_hash, sum(n) as n from ({rows_by_hash}) group by all)
            select log.file_name, log.rows_loaded, coalesce(raw.n, 0) from load_log as log
            left join raw on raw._file_hash = log.file_hash
            where log.status = 'charge' and log.rows_loaded <> coalesce(raw.n, 0)""",
        "lignes rejetées ≠ table rejects": """
            select log.load_id, log.file_name, log.rows_rejected, count(r.load_id) from load_log as log
            left join rejects as r on r.load_id = log.load_id
            group by all having log.rows_rejected <> count(r.load_id)""",
        "rejet sans fichier": "select * from rejects where load_id not in (select load_id from load_log)",
        "lignes brutes d'un fichier refusé": f"""
            select _file_hash from ({rows_by_hash}) where _file_hash in
                (select file_hash from load_log where status = 'rejete')
                and _file_hash not in (select file_hash from load_log where status = 'charge')""",
        "aucune valeur d'indicateur": "select 1 where not exists (select 1 from fct_indicator_values)",
    }
    problems = [f"{what} : {rows}" for what, sql in checks.items() if (rows := query(cfg, sql))]
    if missing := missing_indicator_values(cfg):
        problems.append(f"valeurs d'indicateur absentes : {missing[:5]}")
    return problems


def missing_indicator_values(cfg: AssociationConfig) -> list[tuple]:
    """Indicator × ESMS × period of the frame with no row in fct_indicator_values (empty when complete)."""
    return query(cfg, """
        select catalogue.code, esms.finess, periods.period_type, periods.year, periods.month
        from indicator_catalogue as catalogue cross join int_esms as esms
        join int_periods as periods on periods.year = esms.year
        where catalogue.model is not null
        except
        select indicator_code, finess, period_type, year, month from fct_indicator_values""")


def indicator_values(cfg: AssociationConfig) -> list[tuple]:
    """Every row of fct_indicator_values, in the order of its key."""
    return query(cfg, "select * from fct_indicator_values "
                      "order by finess, period_type, year, month, indicator_code, breakdown")


def value_differences(rows: list[tuple], expected: list[tuple]) -> list:
    """The rows that differ (the first five), numbers compared to 1e-9 relative: DuckDB sums doubles in the
    order its threads meet them, so their last bits vary from one run to the next."""
    def same(row: tuple, other: tuple) -> bool:
        return all(a == b or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9))
                   for a, b in zip(row, other, strict=True))

    if len(rows) != len(expected):
        return [f"{len(rows)} lignes au lieu de {len(expected)}"]
    return [(row, other) for row, other in zip(rows, expected, strict=True) if not same(row, other)][:5]
