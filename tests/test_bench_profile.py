"""The scale workload (`tdbms demo generate --profile`) and the readers' part of benchmarks/run.py, at the
tiny profile (three ESMS): the benchmark itself (make bench) runs the large one, outside `make test`.

Expected counts come from the generated files themselves (names, dates in the lines), not from the generator.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import PROJECT_ROOT
from pipelines.config import load_config
from pipelines.demo.profiles import PROFILES, YEARS

TDBMS = str(Path(sys.executable).with_name("tdbms"))


def digest(folder: Path) -> dict[str, str]:
    """Hashes of the generated files (not the xlsx, whose zip holds its creation time)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix not in (".toml", ".xlsx")}


def test_tiny_profile_is_deterministic_complete_and_measurable(tmp_path):
    runs = []
    for attempt in ("a", "b"):
        out = subprocess.run([TDBMS, "demo", "generate", "--profile", "tiny", "--out", str(tmp_path / attempt)],
                             capture_output=True, text=True, check=True).stdout
        assert "bench_tiny.toml" in out
        runs.append(digest(tmp_path / attempt / "tiny"))
    assert runs[0] == runs[1]  # seeded: same bytes
    root = tmp_path / "a" / "tiny"
    cfg = load_config(root / "bench_tiny.toml", output_root=tmp_path / "output")
    esms = PROFILES["tiny"]
    assert len(cfg.dsn_establishments) == esms and len(cfg.fec_dossiers) == esms + 1
    with open(root / "fiche_esms" / "caracterisation.csv", encoding="utf-8") as handle:
        sheet = list(csv.DictReader(handle, delimiter=";"))
    assert {int(r["year"]) for r in sheet} == set(YEARS) and len({r["finess"] for r in sheet}) == esms

    months = {p.name.split("_")[2][:6] for p in (root / "dsn").glob("*.dsn")}
    assert len(months) == 12 * len(YEARS) and max(months) == f"{YEARS[-1]}12"
    new = list((root / "increment" / "dsn").glob("*.dsn"))
    assert len(new) == esms and all(p.name.split("_")[2][:6] == f"{YEARS[-1] + 1}01" for p in new)
    for path in (root / "increment" / "fec").rglob("*.txt"):  # only January écritures, balanced
        lines = path.read_bytes().splitlines()[1:]
        separator = b"\t" if b"\t" in lines[0] else b"|"
        assert lines and all(line.split(separator)[3].startswith(b"202501") for line in lines)
    extractions = sorted(p.name for p in (root / "activite").iterdir()) + \
        sorted(p.name for p in (root / "increment" / "activite").iterdir())
    assert extractions == ["extraction_2025-01-05", "extraction_2025-02-05"]

    sys.path.insert(0, str(PROJECT_ROOT))
    from benchmarks import run

    run.SOURCES = tmp_path / "a"
    ratios = run.reader_ratios("tiny")
    assert set(ratios) == set(run.READERS)
    for name, measure in ratios.items():
        assert measure["rows"] > 0 and measure["rejects"] == 0, name
        assert measure["reader_ratio"] == pytest.approx(measure["mb_s"] / measure["duckdb_mb_s"])
