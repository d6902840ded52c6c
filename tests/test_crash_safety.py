"""Crash safety: `tdbms run` killed (SIGKILL to the run and its dbt, as a crash would) during the ingestion,
during dbt (also the command alone: its dbt must die with it) and during the quality step, then run again: the warehouse opens after each kill, and the final
indicator values are those of an uninterrupted run of the same sources, row for row.

Each kill comes right after a marker of the run's own progress (a source file announced, dbt's tenth table,
the quality step's data docs written), so that it lands inside the step. The uninterrupted run of a copy of
the sources goes on meanwhile (the second core).
"""

from __future__ import annotations

from tests.cli_runs import (
    Run,
    build_association,
    has_traceback,
    indicator_values,
    value_differences,
    warehouse_problems,
)
from tests.conftest import query

FEC_MARKER = r"· FEC : 123456782FEC20241231\.txt$"  # the first FEC of the good association: thousands of lines
DBT_MARKER = r" OK created sql table model "
DBT_DONE = r"^Done\. PASS="


def kill_during_ingestion(run: Run) -> None:
    run.wait_for(FEC_MARKER)
    run.kill()
    assert "Running with dbt" not in run.output


def kill_during_dbt(run: Run) -> None:
    run.wait_for(DBT_MARKER, occurrence=10)
    run.kill()
    assert not any(line.startswith("Done. PASS=") for line in run.lines)


def kill_the_command_alone_during_dbt(run: Run) -> None:
    """dbt must not outlive a killed `tdbms run` (pipelines/dbt_child.py); it has dozens of models left."""
    run.wait_for(DBT_MARKER, occurrence=5)
    run.kill(whole_group=False, children_deadline=5)


def kill_during_quality(run: Run) -> None:
    run.wait_for(DBT_DONE)
    run.wait_for_file(run.cfg.output_dir / "gx_docs" / "index.html")
    run.kill()
    assert "étape(s) réussie(s)" not in run.output


def loads(cfg) -> list[tuple]:
    return query(cfg, "select source_kind, file_name, status, rows_loaded, rows_rejected from load_log order by all")


def test_killed_runs_then_a_rerun_give_the_values_of_an_uninterrupted_run(tmp_path):
    reference = build_association(tmp_path / "reference", "export_csv", "crash", hr_finance=True)
    crashed = build_association(tmp_path / "crashed", "export_csv", "crash", hr_finance=True)
    uninterrupted = Run(reference)

    for kill in (kill_during_ingestion, kill_during_dbt, kill_the_command_alone_during_dbt, kill_during_quality):
        kill(Run(crashed))
        assert query(crashed, "select count(*) from load_log")[0][0] > 0, "the warehouse opens after the kill"

    rerun = Run(crashed)
    assert rerun.finish() == 0, rerun.output[-3000:]
    assert uninterrupted.finish() == 0, uninterrupted.output[-3000:]
    assert not has_traceback(rerun.output)
    assert warehouse_problems(crashed) == []
    assert loads(crashed) == loads(reference)
    assert value_differences(indicator_values(crashed), indicator_values(reference)) == []
