"""Two runs of one association at once: the second says in French that a run is in progress and stops without
touching anything; the first goes to its end and leaves a warehouse that opens, coherent, with every
indicator value. (The second `tdbms run` is started by tests/cli_runs.corpus_runs while the first holds its
run lock: that run is shared with the bad-input corpus.)"""

from __future__ import annotations

from tests.cli_runs import HR_FINANCE_FAMILY, corpus_runs, has_traceback, warehouse_problems


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
