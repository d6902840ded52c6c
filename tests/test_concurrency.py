"""Two runs of one association at once: the second says in French that a run is in progress and stops without
touching anything; the first goes to its end and leaves a warehouse that opens, coherent, with every
indicator value. (The second `tdbms run` is started by tests/cli_runs.corpus_runs while the first holds its
run lock: that run is shared with the bad-input corpus.)"""

from __future__ import annotations

import duckdb
import pytest

from tests.cli_runs import HR_FINANCE_FAMILY, corpus_runs, has_traceback, tdbms, warehouse_problems

# these tests share the corpus runs of tests/cli_runs.corpus_runs: one worker computes them (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("corpus")


def test_a_second_run_of_the_same_association_is_refused_in_french(tmp_path_factory):
    first = corpus_runs(tmp_path_factory, [HR_FINANCE_FAMILY])[HR_FINANCE_FAMILY]
    second = first.rival
    assert second.returncode == 1
    assert second.stderr.startswith(f"Association {first.cfg.id}")
    assert (f"Erreur : un traitement de l'association {first.cfg.id} est déjà en cours (processus "
            in second.stderr), second.stderr
    assert "attendez qu'il se termine avant d'en lancer un autre" in second.stderr
    assert not has_traceback(second.stdout + second.stderr)
    assert "· " not in second.stderr, "the second run must not have read any source"

    assert "étape(s) réussie(s)" in first.output and "Échec de l'étape" not in first.output, first.output[-3000:]
    assert warehouse_problems(first.cfg) == []


def test_a_warehouse_held_by_another_program_fails_the_step_in_french(tmp_path_factory):
    """Another program writing the DuckDB file (not a tdbms run: no run lock) makes the sources step fail: the
    run says so in French, names the step, and prints no stack trace nor Python class name."""
    cfg = corpus_runs(tmp_path_factory, [HR_FINANCE_FAMILY])[HR_FINANCE_FAMILY].cfg
    holder = duckdb.connect(str(cfg.warehouse_path))
    try:
        result = tdbms(cfg, "run", cfg.id)
    finally:
        holder.close()
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert (f"Échec de l'étape {cfg.id}_sources : {cfg.warehouse_path} : l'entrepôt est utilisé par un autre "
            "traitement en cours" in output), output[-3000:]
    assert not has_traceback(output) and "TdbmsError" not in output
