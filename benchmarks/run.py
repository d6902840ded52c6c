"""The scale benchmark of issue 10 (`make bench`): one large association end to end, in one run.

    .venv/bin/python benchmarks/run.py [--profile large|medium] [--no-growth]

Generates the profile's sources when absent (`tdbms demo generate --profile`, in output/bench-sources/),
then measures and prints a French table, also written to output/bench/results.json:
- full_run_s: `tdbms run` of the association from an empty output folder (readers, dbt build, quality,
  dashboards), in a child process; peak_rss_mb is the largest sum of the resident memory of that process
  and its children, sampled every 0.1 s;
- transform_ratio: `dbt build` of all models ÷ benchmarks/reference.sql on the same loaded raw tables (a
  copy of the warehouse); null when the reference script is absent;
- reader_ratio: each reader's bytes/s (on its first 64 MB of files) ÷ DuckDB's native read of the same bytes (read_csv; for DSN
  one VARCHAR per line, for FEC split into its columns file by file; for xlsx and SQLite, which DuckDB cannot read offline, the pivot CSV of the same
  facts);
- incremental_ratio: one more month of every source (the profile's increment/) copied in, `tdbms run`
  again, ÷ full_run_s (the copies are removed afterwards);
- growth: full_run_s at ¼, ½ and 1 × the profile (ESMS count).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    size_of,
    time_duckdb_csv,
    time_duckdb_delimited,
    time_duckdb_lines,
    time_reader,
)
from pipelines.config import load_config  # noqa: E402
from pipelines.demo.profiles import PROFILES, generate_profile, profile_association  # noqa: E402
from pipelines.sources import reader  # noqa: E402

SOURCES = ROOT / "output" / "bench-sources"
OUTPUT = ROOT / "output" / "bench"
TDBMS = str(Path(sys.executable).with_name("tdbms"))
GROWTH = {"large": ("quarter", "half", "large"), "medium": ("tiny", "medium")}
READ_BYTES = 64 << 20  # source bytes read per reader for its ratio
READERS = ("export_csv", "classeur_xlsx", "base_sqlite", "pivot", "dsn", "fec")
GOALS = {"full_run_s": ("≤", 180), "transform_ratio": ("≤", 1.3), "reader_ratio": ("≥", 0.5),
         "incremental_ratio": ("≤", 0.10), "peak_rss_mb": ("≤", 2048)}


def config_path(profile: str) -> Path:
    path = SOURCES / profile / f"{profile_association(profile).id}.toml"
    if not path.exists():
        print(f"Génération du profil « {profile} »…", flush=True)
        started = time.perf_counter()
        generate_profile(profile, SOURCES)
        print(f"  généré en {time.perf_counter() - started:.1f} s", flush=True)
    return path


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and of all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
        rss[int(entry)] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total / 1024


class RunFailed(Exception):
    pass


def children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished children of this process (and of theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tdbms(config: Path, output: Path, assoc_id: str) -> tuple[float, float, float]:
    """`tdbms run` in a child process: (seconds, CPU seconds, peak resident MB of the process tree)."""
    cpu = children_cpu_s()
    command = [TDBMS, "--associations", str(config), "--output", str(output), "run", assoc_id]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mb(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    log, _ = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode:
        raise RunFailed(f"échec de « {' '.join(command)} » :\n{log[-3000:]}")
    return seconds, children_cpu_s() - cpu, peak[0]


def full_run(profile: str) -> tuple[float, float, float, Path]:
    config = config_path(profile)
    output = OUTPUT / "runs" / profile
    shutil.rmtree(output, ignore_errors=True)
    seconds, cpu, peak = run_tdbms(config, output, profile_association(profile).id)
    return seconds, cpu, peak, output


def transform_ratio(config: Path, output: Path, reference: Path) -> dict:
    """dbt build of all models on the loaded warehouse ÷ reference.sql on a copy of the same raw tables."""
    from pipelines.run import transform

    cfg = load_config(config, output_root=output)
    started, cpu = time.perf_counter(), children_cpu_s()
    transform(cfg)
    dbt_s, dbt_cpu_s = time.perf_counter() - started, children_cpu_s() - cpu
    if not reference.exists():
        return {"dbt_build_s": dbt_s, "dbt_build_cpu_s": dbt_cpu_s, "reference_s": None, "transform_ratio": None}
    copy = OUTPUT / "reference.duckdb"
    shutil.copyfile(cfg.warehouse_path, copy)
    con = duckdb.connect(str(copy))
    started = time.perf_counter()
    con.execute(reference.read_text(encoding="utf-8"))
    reference_s = time.perf_counter() - started
    con.close()
    copy.unlink()
    return {"dbt_build_s": dbt_s, "dbt_build_cpu_s": dbt_cpu_s, "reference_s": reference_s,
            "transform_ratio": dbt_s / reference_s}


def capped(files: list[Path], limit: int = READ_BYTES) -> list[Path]:
    """The first files up to ``limit`` bytes (a rate needs no more; reading 600 MB of DSN twice would)."""
    kept, total = [], 0
    for path in files:
        if kept and total + path.stat().st_size > limit:
            break
        kept.append(path)
        total += path.stat().st_size
    return kept


def reader_ratios(profile: str) -> dict:
    """bytes/s of each reader ÷ bytes/s of DuckDB's nearest native read of the same bytes."""
    root = SOURCES / profile
    folders = {"export_csv": root / "activite", "dsn": root / "dsn", "fec": root / "fec"}
    folders |= {family: root / "familles" / family for family in ("classeur_xlsx", "base_sqlite", "pivot")}
    pivot_files = reader("pivot").discover(folders["pivot"])
    pivot_rate = size_of(pivot_files) / time_duckdb_csv(pivot_files, ",", "utf-8")
    results = {}
    for name in READERS:
        module = reader(name)
        files = capped(module.discover(folders[name]))
        size = size_of(files)
        rows, rejects, seconds = time_reader(module, files)
        if name == "export_csv":
            native = size / time_duckdb_csv(files, ";", "latin-1")  # same bytes (cp1252 ≈ latin-1 for timing)
        elif name == "dsn":  # a DSN line is not split by a delimiter: one VARCHAR per line
            _lines, read, seconds_native = time_duckdb_lines(files)
            native = read / seconds_native
        elif name == "fec":  # a delimited file: split into its columns (see time_duckdb_delimited)
            _rows, read, seconds_native = time_duckdb_delimited(files)
            native = read / seconds_native
        else:
            native = pivot_rate  # nearest native read: the pivot CSV of the same facts
        results[name] = {"mb": size / 1e6, "rows": rows, "rejects": rejects, "seconds": seconds,
                         "mb_s": size / 1e6 / seconds, "duckdb_mb_s": native / 1e6,
                         "reader_ratio": size / seconds / native}
    return results


def incremental_run(profile: str, output: Path, full_s: float) -> dict:
    """Copy one more month of every source in, run again, take the copies out."""
    root = SOURCES / profile
    copied = []
    for new in sorted((root / "increment").rglob("*")):
        if new.is_file():
            target = root / new.relative_to(root / "increment")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(new, target)
            copied.append(target)
    try:
        seconds, cpu, peak = run_tdbms(config_path(profile), output, profile_association(profile).id)
    finally:
        for path in copied:
            path.unlink()
        for folder in sorted({p.parent for p in copied}, reverse=True):
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
    return {"incremental_s": seconds, "incremental_cpu_s": cpu, "incremental_ratio": seconds / full_s,
            "incremental_peak_rss_mb": peak}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cœurs {cpu}, {memory / 1024 ** 2:.0f} Go, Python {platform.python_version()}, " \
           f"DuckDB {duckdb.__version__}"


def check(name: str, value: float | None) -> str:
    if value is None or name not in GOALS:
        return ""
    sign, goal = GOALS[name]
    met = value <= goal if sign == "≤" else value >= goal
    return f"objectif {sign} {goal} : {'atteint' if met else 'non atteint'}"


def table(results: dict) -> str:
    def line(label: str, value, unit: str = "", name: str = "", missing: str = "échec") -> str:
        text = missing if value is None else f"{value:.2f}{unit}"
        return f"{label:<44}{text:>16}   {check(name, value)}"

    out = [f"Banc d'essai « {results['profile']} » — {results['machine']}",
           f"({results['esms']} ESMS, sources : {results['sources_mb']:.0f} Mo, charge de la machine : "
           f"{results['load_average']:.1f})", ""]
    out.append(line("Traitement complet (tdbms run, s)", results["full_run_s"], " s", "full_run_s"))
    out.append(line("  dont temps CPU (processus enfants, s)", results["full_run_cpu_s"], " s"))
    out.append(line("Mémoire résidente maximale (Mo)", results["peak_rss_mb"], " Mo", "peak_rss_mb"))
    out.append(line("dbt build de tous les modèles (s)", results["dbt_build_s"], " s"))
    absent = "absent (pas de reference.sql)"
    out.append(line("reference.sql sur les mêmes tables (s)", results["reference_s"], " s", missing=absent))
    out.append(line("Ratio transformation (dbt ÷ référence)", results["transform_ratio"], "", "transform_ratio", absent))
    out.append(line("Mois supplémentaire, nouveau run (s)", results["incremental_s"], " s"))
    out.append(line("Ratio incrémental (÷ traitement complet)", results["incremental_ratio"], "", "incremental_ratio"))
    out += ["", f"{'Lecteur':<16}{'Mo':>8}{'lignes':>10}{'s':>8}{'Mo/s':>8}{'DuckDB Mo/s':>13}{'ratio':>8}"]
    for name, r in results["readers"].items():
        out.append(f"{name:<16}{r['mb']:>8.1f}{r['rows']:>10}{r['seconds']:>8.2f}{r['mb_s']:>8.1f}"
                   f"{r['duckdb_mb_s']:>13.1f}{r['reader_ratio']:>8.2f}   {check('reader_ratio', r['reader_ratio'])}")
    if results.get("growth"):
        out += ["", "Croissance (traitement complet selon la taille) :"]
        for g in results["growth"]:
            out.append(f"  {g['fraction']:>5} × ({g['esms']:>3} ESMS) : {g['full_run_s']:>7.1f} s "
                       f"({g['full_run_cpu_s']:.1f} s CPU)")
    return "\n".join(out)


def main() -> None:
    try:
        measure()
    except RunFailed as exc:
        sys.exit(str(exc))


def measure() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="large")
    parser.add_argument("--no-growth", action="store_true", help="sans la mesure de croissance (¼, ½)")
    parser.add_argument("--reference", type=Path, default=ROOT / "benchmarks" / "reference.sql",
                        help="script de référence (défaut : benchmarks/reference.sql)")
    args = parser.parse_args()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    profile = args.profile
    config = config_path(profile)
    results = {"profile": profile, "esms": PROFILES[profile], "machine": machine(),
               "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "sources_mb": sum(f.stat().st_size for f in (SOURCES / profile).rglob("*") if f.is_file()) / 1e6}

    def save(**measures) -> None:  # after each phase: an interrupted benchmark keeps what it measured
        results.update(measures)
        (OUTPUT / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")

    print("Traitement complet…", flush=True)
    full_s, full_cpu, peak, output = full_run(profile)
    print(f"  {full_s:.1f} s ({full_cpu:.1f} s CPU)", flush=True)
    save(full_run_s=full_s, full_run_cpu_s=full_cpu, load_average=os.getloadavg()[0], peak_rss_mb=peak)
    print("Transformation (dbt build, reference.sql)…", flush=True)
    save(**transform_ratio(config, output, args.reference))
    print("Lecteurs…", flush=True)
    readers = reader_ratios(profile)
    save(readers=readers, reader_ratio={name: r["reader_ratio"] for name, r in readers.items()})
    print("Mois supplémentaire…", flush=True)
    try:
        incremental = incremental_run(profile, output, full_s)
        save(**incremental, peak_rss_mb=max(peak, incremental["incremental_peak_rss_mb"]))
    except RunFailed as exc:  # measured as failed; the growth is still measured
        print(exc, flush=True)
        save(incremental_s=None, incremental_ratio=None, incremental_error=str(exc)[-1000:])
    growth = []
    if not args.no_growth:
        count = PROFILES[profile]
        for name in GROWTH.get(profile, (profile,)):
            print(f"Croissance : profil « {name} »…", flush=True)
            seconds, cpu = (full_s, full_cpu) if name == profile else full_run(name)[:2]
            growth.append({"profile": name, "esms": PROFILES[name], "fraction": f"{PROFILES[name] / count:.2f}",
                           "full_run_s": seconds, "full_run_cpu_s": cpu})
            save(growth=growth)
    save(load_average=os.getloadavg()[0], growth=growth)
    print()
    print(table(results))
    print(f"\nRésultats : {OUTPUT / 'results.json'}")


if __name__ == "__main__":
    main()
