"""Shared test helpers: build a whole association (sources in their real formats + configuration)
in a temporary folder, run the real pipeline on it, and read its warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from _pytest.nodeid import NodeId

from pipelines.config import AssociationConfig, load_config
from pipelines.demo.association import write_config
from pipelines.demo.esms_sheet import write_esms_sheet
from pipelines.demo.facts import ActivityFacts
from pipelines.demo.generate import generate_demo, write_demo_configs
from pipelines.demo.writers import writer
from pipelines.export_pivot import export_pivot
from pipelines.run import run_association


def make_association(
    root: Path, family: str, facts: ActivityFacts, esms_rows: list[dict], assoc_id: str = "test_asso", **extra
) -> AssociationConfig:
    sources = root / "sources" / assoc_id
    activity = sources / "activity"
    activity.mkdir(parents=True, exist_ok=True)
    writer(family)(facts, activity)
    sheet = write_esms_sheet(sources / "esms" / "caracterisation.csv", esms_rows)
    config = write_config(
        root / "config" / f"{assoc_id}.toml",
        assoc_id=assoc_id, name=f"Association {assoc_id}", family=family, activity_path=activity,
        esms_sheet_path=sheet, secret_path=root / "secrets" / f"{assoc_id}.key", output_root=root / "output", **extra,
    )
    return load_config(config)


def query(cfg: AssociationConfig, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def indicator(cfg: AssociationConfig, code: str, finess: str, year: int, month: int | None = None,
              breakdown: str | None = None, period_type: str | None = None) -> dict:
    period_type = period_type or ("year" if month is None else "month")
    rows = query(
        cfg,
        """select numerator, denominator, value, status from fct_indicator_values
           where indicator_code = ? and finess = ? and year = ? and period_type = ?
             and month is not distinct from ? and breakdown is not distinct from ?""",
        [code, finess, year, period_type, month, breakdown],
    )
    assert len(rows) == 1, f"{code} {finess} {year}/{month} {breakdown}: {len(rows)} rows"
    return dict(zip(("numerator", "denominator", "value", "status"), rows[0], strict=True))


def pivot_copy(cfg: AssociationConfig, root: Path) -> AssociationConfig:
    """The association with its activity exported to pivot files under `root` (same DSN, FEC and ESMS
    sheet): its configuration, not yet run."""
    pivot_dir = root / "pivot" / cfg.id
    export_pivot(cfg, pivot_dir)
    return load_config(write_config(
        root / "associations_pivot" / f"{cfg.id}_pivot.toml", assoc_id=f"{cfg.id}_pivot",
        name="copie pivot", family="pivot", activity_path=pivot_dir, esms_sheet_path=cfg.esms_sheet_path,
        secret_path=root / "secrets" / f"{cfg.id}_pivot.key",
        dsn_path=cfg.dsn_path, dsn_establishments=cfg.dsn_establishments,
        fec_path=cfg.fec_path, fec_dossiers=cfg.fec_dossiers, fec_sections=cfg.fec_sections,
        definitions={"local": str(cfg.local_dir)} if cfg.local_dir else None,  # its local indicators too
    ), output_root=root / "output")


def _module_fixture(item) -> bool:
    """Whether the test asks for a module-scoped fixture (a run of the module's own associations)."""
    return any(defs[-1].scope == "module" for defs in item._fixtureinfo.name2fixturedefs.values())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Under `--dist loadgroup`, keep on one pytest-xdist worker the tests that share a costly run, so it is
    computed once: those asking for the `demo` fixture, those marked `xdist_group`, and otherwise those of
    one module asking for a module-scoped fixture (each worker would compute it again). pytest-xdist 3.8 does
    this tagging itself on `item._nodeid`, which pytest 9.2 no longer reads (its node ids are `item._id`):
    without this hook every group is spread over the workers."""
    if not config.getoption("loadgroup", False):
        return
    for item in items:
        groups = {str(mark.args[0]) for mark in item.iter_markers("xdist_group")}
        if "demo" in item.fixturenames:
            groups.add("demo")
        if not groups and _module_fixture(item):
            groups.add(item.path.stem)
        if groups and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(groups))}")


@pytest.fixture
def tmp_root(tmp_path: Path) -> Path:
    return tmp_path


DEMO_SEED = 2024


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict:
    """The three demo associations generated and run once per test session (shared by every test file)."""
    root = tmp_path_factory.mktemp("demo")
    generate_demo(root / "demo-sources", seed=DEMO_SEED)
    configs = write_demo_configs(root / "associations", sources_root=str(root / "demo-sources"))
    runs = {}
    for path in configs:
        text = path.read_text(encoding="utf-8").replace("~/.config/tdbms/secrets", str(root / "secrets"))
        path.write_text(text, encoding="utf-8")
        cfg = load_config(path, output_root=root / "output")
        run_association(cfg)
        runs[cfg.id] = cfg
    return {"root": root, "configs": runs}


@pytest.fixture(scope="session")
def demo_pivot(demo):
    """`demo_pivot(association)`: the demo association exported to pivot files and run (without quality and
    dashboards: the compared values do not depend on them), once per session; (its configuration, its report)."""
    runs = {}

    def run(association: str):
        if association not in runs:
            copy = pivot_copy(demo["configs"][association], demo["root"])
            runs[association] = (copy, run_association(copy, quality=False, dashboards=False))
        return runs[association]

    return run
