"""`tdbms-dbt`: dbt, bound to the life of the process that started it.

dagster-dbt and `pipelines.dbt` start dbt as a child process. If `tdbms run` is killed on its own (not its whole
process group), a plain dbt child would go on writing the warehouse after its run is gone, while the next run
takes the lock. On Linux this launcher asks the kernel to kill dbt when its parent dies (PR_SET_PDEATHSIG),
then becomes dbt (exec: same process, same pid). `--version` is answered here, offline.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from importlib import metadata
from pathlib import Path

PR_SET_PDEATHSIG = 1
PARENT_ENV = "TDBMS_DBT_PARENT"


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # dagster-dbt asks it; dbt's own answer queries PyPI (no network at run time)
        print(f"Core:\n  - installed: {metadata.version('dbt-core')}\n  - duckdb: {metadata.version('dbt-duckdb')}")
        return
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        expected = os.environ.get(PARENT_ENV)
        if expected and os.getppid() != int(expected):  # the parent died before the kernel could watch it
            sys.exit(1)
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()
