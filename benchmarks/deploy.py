"""Benchmark of the operator deployment (a script that prints wall times, not a test).

    .venv/bin/python benchmarks/deploy.py [--runs 2] [--max-concurrent-runs 2]

The three demo associations, each run --runs times: first one after another in process (what `tdbms run`
does, pipelines/dagster_run.py), then all submitted at once to the deployment of docs/operating.md
(PostgreSQL, one code server per association, dagster-daemon with deploy/dagster.yaml), each mode on
fresh output folders. Prints both wall times and the load average of the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.config import load_config  # noqa: E402
from pipelines.dagster_run import run_job  # noqa: E402
from pipelines.demo.generate import generate_demo, write_demo_configs  # noqa: E402
from tests.deploy_stack import deploy_stack  # noqa: E402


def demo_configs(root: Path, name: str) -> Path:
    folder = root / name / "associations"
    for path in write_demo_configs(folder, sources_root=str(root / "sources")):
        text = path.read_text(encoding="utf-8").replace("~/.config/tdbms/secrets", str(root / "secrets"))
        path.write_text(text + f'\n[output]\nroot = "{root / name / "output"}"\n', encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2, help="runs per association")
    parser.add_argument("--max-concurrent-runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tdbms-bench-deploy-") as tmp:
        root = Path(tmp)
        generate_demo(root / "sources", seed=2024)

        folder = demo_configs(root, "in_process")
        started = time.monotonic()
        for path in sorted(folder.glob("*.toml")):
            cfg = load_config(path)
            for _ in range(args.runs):
                assert run_job(cfg).success, cfg.id
        in_process = time.monotonic() - started
        print(f"in process, one after another: {in_process:.0f} s ({os.getloadavg()[0]:.1f} load)", flush=True)

        folder = demo_configs(root, "daemon")
        (root / "daemon" / "work").mkdir()
        with deploy_stack(folder, root / "daemon" / "work", args.max_concurrent_runs) as stack:
            submitted = time.time()
            run_ids = [stack.submit(path.stem) for path in sorted(folder.glob("*.toml")) for _ in range(args.runs)]
            records = stack.wait(run_ids, timeout=3600)
            assert all(r.dagster_run.status.value == "SUCCESS" for r in records)
            daemon = max(r.end_time for r in records) - submitted
            busy = sum(r.end_time - r.start_time for r in records)
        print(f"dagster-daemon, max_concurrent_runs={args.max_concurrent_runs}: {daemon:.0f} s wall "
              f"(sum of run durations {busy:.0f} s; {os.getloadavg()[0]:.1f} load)")


if __name__ == "__main__":
    main()
