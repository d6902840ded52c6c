"""No name, first name or NIR of the sources in anything tdbms writes.

The association is the export_csv one of the bad-input corpus (tests/cli_runs.py): its sources hold the
persons' names and NIR (activity export, DSN), also in broken files (a UTF-8 export, an export without its
header line, DSN signalements and unreadable lines). After its run and every output command, every file under
its output root is scanned (zip members read, as text in UTF-8 or Windows-1252, JSON and HTML escapes undone),
the warehouse too (its bytes, and every text value of every table: DuckDB compresses strings), and what the
commands print. Words match whole (short names occur inside ordinary words), whatever their case.
"""

from __future__ import annotations

import html
import re
import subprocess
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipelines import PROJECT_ROOT
from pipelines.demo.dsn import personal_values
from tests.cli_runs import HR_FINANCE_FAMILY, command, corpus_runs, has_traceback, sources_dir
from tests.test_activity_families import IDENTITY, A

# these tests share the corpus runs of tests/cli_runs.corpus_runs: one worker computes them (tests/conftest.py)
pytestmark = pytest.mark.xdist_group("corpus")

WORD = re.compile(r"\w+")
JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def words_of(text: str) -> set[str]:
    return {word.casefold() for word in WORD.findall(text)}


def product_vocabulary() -> set[str]:
    """Words of the product's own nomenclatures and pages (seeds, dashboards): ordinary words, not persons
    (the DSN fixtures' contact is « AUTRE SECRETCONTACT », and AUTRE is an absence motive)."""
    files = [p for folder in ("seeds", "dashboards") for p in (PROJECT_ROOT / folder).rglob("*") if p.is_file()]
    return {word for p in files for word in words_of(p.read_text(encoding="utf-8", errors="ignore"))}


def personal_words(cfg) -> set[str]:
    """The words of the names, first names and NIR in the association's sources (the facts' persons, every
    DSN file), of four characters or more, but the product's own words."""
    values = {*IDENTITY, *personal_values(sorted(cfg.dsn_path.rglob("*.dsn")))}
    return {word for value in values for word in words_of(value) if len(word) >= 4} - product_vocabulary()


def readable(data: bytes) -> str:
    """Bytes as text (UTF-8, else Windows-1252), JSON and HTML escapes undone."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    if "\\u" in text:
        text = JSON_ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)
    return html.unescape(text) if "&" in text else text


def contents(path: Path) -> dict[str, bytes]:
    """The file's bytes, and those of its members when it is a zip (xlsx)."""
    data = {str(path): path.read_bytes()}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            data |= {f"{path}!{name}": archive.read(name) for name in archive.namelist()}
    return data


def warehouse_text(path: Path) -> bytes:
    """Every text value of every table and view of a DuckDB file, one per line."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR' order by all").fetchall()
        values = [str(v) for table, column in columns
                  for (v,) in con.execute(f'select distinct "{column}" from "{table}" where "{column}" is not null').fetchall()]
    finally:
        con.close()
    return "\n".join(values).encode()


def hits(named: dict[str, bytes], personal: set[str]) -> dict[str, list[str]]:
    """Where -> the personal words found there, whole."""
    found = {where: words_of(readable(data)) & personal for where, data in named.items()}
    return {where: sorted(words) for where, words in found.items() if words}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return corpus_runs(tmp_path_factory, [HR_FINANCE_FAMILY])[HR_FINANCE_FAMILY]


def test_the_sources_do_hold_names_and_nir(run):
    sources = {str(p): p.read_bytes() for p in sources_dir(run.cfg).rglob("*") if p.is_file()}
    seen = {word for words in hits(sources, personal_words(run.cfg)).values() for word in words}
    assert {"zorglubian", "hortensia", "2400375123456", "durandeau", "hélène"} <= seen


def test_no_name_nor_nir_in_any_output(run):
    cfg = run.cfg
    commands = [["export-campaign", cfg.id, "--year", "2024"], ["share", cfg.id, "--year", "2024"],
                ["export-pivot", cfg.id, str(cfg.output_dir / "export-pivot")],
                ["esms-template", cfg.id, "--year", "2024"],
                ["explain", cfg.id, "A1-15", "--finess", A, "--year", "2024", "--json"]]
    started = [subprocess.Popen(command(cfg, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for args in commands]
    printed = {}
    for args, process in zip(commands, started, strict=True):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0 and not has_traceback((out + err).decode()), (args, err.decode()[-2000:])
        printed[f"tdbms {args[0]} (sortie)"] = out + err
    files = [p for p in cfg.output_dir.parent.rglob("*") if p.is_file()]
    assert {"warehouse.duckdb", "index.html", "dbt.log", "run_results.json", "partage_2024.json", "persons.csv"} <= {
        p.name for p in files}
    assert any(p.suffix == ".xlsx" for p in files) and any("gx_docs" in p.parts for p in files)

    named = printed | {where: data for path in files for where, data in contents(path).items()}
    named["tables de l'entrepôt"] = warehouse_text(cfg.warehouse_path)
    named["tdbms run (sortie)"] = run.output.encode()
    assert hits(named, personal_words(cfg)) == {}
