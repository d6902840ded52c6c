"""The corpus of broken source files (tests/fixtures/bad/cases.toml) through the real command line.

One association per activity family holds a small good base and every broken file of its family (the
export_csv one also has the DSN, FEC and ESMS-sheet cases); `tdbms run` runs each once (tests/cli_runs.py).
Per case: the outcome of the manifest, a French message naming the file and the line. Per association: exit
code 1 with a summary line for every refused file, no traceback, a coherent warehouse with its indicator
values, and nothing doubled when the same files are ingested again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import ACTIVITY_FAMILIES
from pipelines.ingest import ingest
from pipelines.warehouse import file_sha256
from tests.cli_runs import (
    BAD,
    Case,
    CorpusRun,
    corpus_runs,
    has_traceback,
    load_cases,
    sources_dir,
    warehouse_problems,
)
from tests.conftest import query
from tests.fixtures.bad import make_cases

# these tests share the corpus runs of tests/cli_runs.corpus_runs: one worker computes them (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("corpus")

CASES = load_cases()
FAMILIES = list(ACTIVITY_FAMILIES)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, CorpusRun]:
    return corpus_runs(tmp_path_factory, FAMILIES)


def case_id(case: Case) -> str:
    return f"{case.kind}-{Path(case.file).stem if case.file else 'doublon'}"


OF_LOAD = "select r.line, r.reason from rejects as r join load_log as l using (load_id) where l.file_path = $path"
FINDINGS = {  # outcome -> (line, text) of what the warehouse says about the case's file
    "fichier rejeté": OF_LOAD,
    "lignes rejetées": OF_LOAD,
    "lignes écartées": "select line, reason from dq_rejected_lines where stage = 'modèle commun' and file_hash = $hash",
    "codes inconnus": "select first_line, vendor_code from dq_unknown_codes where first_file = $name",
    "fichier inutilisable": "select _line, message from raw_fec_checks where severity = 'bloquant' and _file_hash = $hash",
    "non rattaché": "select null, link || ' ' || record_key from dq_record_links where not is_linked",
}


def findings(run: CorpusRun, case: Case, path: Path) -> list[tuple]:
    sql = FINDINGS[case.outcome]
    values = {"path": str(path), "hash": file_sha256(path), "name": path.name}
    return query(run.cfg, sql, {key: value for key, value in values.items() if f"${key}" in sql})


def test_the_corpus_covers_every_source_kind():
    committed = {str(p.relative_to(BAD)) for p in BAD.rglob("*") if p.is_file()}
    assert all(case.copy_of or case.file in committed | set(make_cases.CASES) for case in CASES)
    assert len(CASES) >= 40 and {case.kind for case in CASES} == {*FAMILIES, "dsn", "fec", "esms_sheet"}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case(runs, case: Case):
    run = runs[case.family]
    path = sources_dir(run.cfg) / case.place
    log = query(run.cfg, "select status, rows_loaded, rows_rejected, message from load_log where file_path = ?", [str(path)])
    if case.outcome == "doublon ignoré":
        assert log == [], "une copie d'un fichier déjà chargé est ignorée"
        original = sources_dir(run.cfg) / case.copy_of
        assert query(run.cfg, "select status from load_log where file_path = ?", [str(original)]) == [("charge",)]
        assert f"Copie ignorée : {path} : même contenu que {original}, déjà chargé" in run.output
        return
    [(status, loaded, rejected, message)] = log
    found = findings(run, case, path)
    where = case.line
    assert any(line == where and case.message in text for line, text in found), (case.message, where, found)
    if case.outcome == "fichier rejeté":
        assert status == "rejete" and message.startswith(str(path)), message
        assert (f", ligne {where} : " in message) == (where is not None), message
        assert case.message in message and f"Fichier refusé : {message}" in run.output
        return
    assert status == "charge" and loaded > 0, "les lignes correctes du fichier sont chargées"
    if case.rejected:
        assert len(found) == case.rejected, found
    if case.outcome == "lignes rejetées":
        assert rejected == case.rejected
        assert f"Lignes rejetées : {path} : {rejected} ligne(s), dont la ligne {where} : " in run.output


@pytest.mark.parametrize("family", FAMILIES)
def test_run_names_refused_files_and_exits_1(runs, family):
    run = runs[family]
    refused = [case for case in run.cases if case.outcome == "fichier rejeté"]
    assert run.returncode == 1, run.output[-3000:]
    assert not has_traceback(run.output) and "Erreur inattendue" not in run.output
    assert "détail technique" not in run.output, "a library message reached the user untranslated"
    assert "étape(s) réussie(s)" in run.output and "Échec de l'étape" not in run.output, run.output[-3000:]
    assert run.output.count("Fichier refusé : ") == len(refused)
    assert f"{len(refused)} fichier(s) refusé(s) : corrigez-les ou retirez-les" in run.output


@pytest.mark.parametrize("family", FAMILIES)
def test_warehouse_coherent_and_nothing_doubled_by_a_second_ingestion(runs, family):
    cfg = runs[family].cfg
    assert warehouse_problems(cfg) == []
    counts = "select status, count(*), sum(rows_loaded), sum(rows_rejected) from load_log group by all order by all"
    before = query(cfg, counts), query(cfg, "select count(*) from rejects")
    again = ingest(cfg)
    assert {result.status for result in again.results} <= {"deja_charge", "rejete"}
    assert (query(cfg, counts), query(cfg, "select count(*) from rejects")) == before
    assert warehouse_problems(cfg) == []
