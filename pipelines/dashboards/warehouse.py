"""Everything the site shows, read once from the association's warehouse (read-only, aggregates only).

No table of persons or staff is read: the site is built from fct_indicator_values, the ESMS sheet, the
shared seeds, the load log and the data-quality marts (grouped, with the values quoted in reasons masked).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb

from pipelines.dashboards.definition import Site
from pipelines.errors import TdbmsError

Period = tuple[int, int | None]  # (year, month); month None = the whole year


@dataclass(frozen=True)
class Value:
    numerator: float | None
    denominator: float | None
    value: float | None
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.value is not None


@dataclass(frozen=True)
class Esms:
    finess: str
    name: str
    category_code: str
    category_acronym: str
    category_label: str
    places: float | None


@dataclass(frozen=True)
class BreakdownClass:
    code: str
    label: str
    official: str


@dataclass
class Warehouse:
    association: str
    association_id: str
    esms: list[Esms]
    catalogue: dict[str, dict]  # code -> catalogue row, in catalogue order
    categories: dict[str, str]  # FINESS category code -> acronym
    values: dict[tuple[str, str, str | None, int, int | None], Value]  # (finess, code, breakdown, year, month)
    references: list[dict]
    classes: dict[str, list[BreakdownClass]]  # indicator -> its breakdown classes, in display order
    sources: list[dict]
    rejected_files: list[dict]
    rejected_lines: list[dict]
    unknown_codes: list[dict]
    checks: dict | None  # latest quality run (dq_results): count, finished_at, failed checks; None before any
    series: dict[tuple[str, str, str | None], list[tuple[int, int, float]]] = field(default_factory=dict)
    release: str | None = None  # release of the shared definitions the values were computed under

    def get(self, finess: str, code: str, breakdown: str | None, period: Period | None) -> Value | None:
        return self.values.get((finess, code, breakdown, *period)) if period else None

    @cached_property
    def latest_month(self) -> Period | None:
        months = [(y, m) for (_, _, _, y, m), v in self.values.items() if m is not None and v.ok]
        return max(months) if months else None

    @cached_property
    def full_year(self) -> Period | None:
        """The latest year whose December is covered by the data (else the latest year with a value)."""
        years = {y for (_, _, _, y, m), v in self.values.items() if m is None and v.ok}
        latest = self.latest_month
        full = [y for y in years if latest is None or (y, 12) <= latest]
        return (max(full or years), None) if years else None


# A reason may quote the value that was refused (a date, a number, a code): quoted values are masked,
# except names of columns, sheets and tables, and parentheses holding digits are dropped, so that lines
# group by kind of reason and no value of a person reaches the site.
_QUOTED_VALUE = re.compile(r"(?<!colonne )(?<!feuille )(?<!table )(?<!pour )(?<!absente : )«[^»]*»")
_DETAIL = re.compile(r"\s*\([^()]*\d[^()]*\)")


def mask_details(reason: str | None) -> str:
    return _DETAIL.sub("", _QUOTED_VALUE.sub("«…»", reason or "")).strip()


def read_warehouse(path: Path, site: Site) -> Warehouse:
    if not Path(path).exists():
        raise TdbmsError(f"l'entrepôt « {path} » n'existe pas : lancez d'abord `tdbms run` pour cette association.")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise TdbmsError(f"l'entrepôt « {path} » ne peut pas être lu (traitement en cours ? {exc}).") from None
    try:
        return _read(con, site)
    finally:
        con.close()


def _collation(text: str) -> str:
    """French alphabetical order: « Érables » between « Cèdres » and « Saules »."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}


def _read(con, site: Site) -> Warehouse:
    tables = _tables(con)
    association_id, association = con.execute("select association_id, name from cfg_association").fetchone()
    esms = [Esms(**row) for row in _rows(con, """
        select esms.finess, esms.esms_name as name, esms.category_code,
               coalesce(esms.category_acronym, esms.category_code) as category_acronym,
               coalesce(categories.label, esms.category_code) as category_label,
               esms.places_autorisees as places
        from int_esms as esms
        left join esms_categories as categories using (category_code)
        qualify row_number() over (partition by esms.finess order by esms.year desc) = 1""")]
    esms.sort(key=lambda e: (e.category_code, _collation(e.name), e.finess))
    # The definitions as of the association's release, with its local indicators (dim_indicators).
    definitions = "dim_indicators" if "dim_indicators" in tables else "indicator_catalogue"
    catalogue = {row["code"]: row for row in _rows(con, f"select * from {definitions}")}
    release = con.execute("select max(definitions_release) from fct_indicator_values").fetchone()[0] \
        if "dim_indicators" in tables else None

    values, series = {}, defaultdict(list)
    for finess, code, breakdown, year, month, numerator, denominator, value, status in con.execute("""
            select finess, indicator_code, breakdown, year, month, numerator, denominator, value, status
            from fct_indicator_values where period_type in ('year', 'month')
            order by year, month""").fetchall():
        item = Value(numerator, denominator, value, status)
        values[(finess, code, breakdown, year, month)] = item
        if month is not None and item.ok:
            series[(finess, code, breakdown)].append((year, month, value))

    return Warehouse(
        association=association,
        association_id=association_id,
        esms=esms,
        catalogue=catalogue,
        release=release,
        categories=dict(con.execute("select category_code, acronym from esms_categories").fetchall()),
        values=values,
        references=_rows(con, "select * from national_references order by indicator_code, year desc"),
        classes=_breakdown_classes(con, site, tables, {(k[1], k[2]) for k in values if k[2] is not None}),
        sources=_rows(con, """
            select source_kind,
                   count(*) filter (where status = 'charge') as files,
                   count(*) filter (where status = 'rejete') as rejected_files,
                   max(loaded_at) as last_loaded_at,
                   arg_max(file_name, loaded_at) filter (where status = 'charge') as last_file,
                   sum(rows_loaded) as rows_loaded,
                   sum(rows_rejected) as rows_rejected
            from load_log group by source_kind order by source_kind"""),
        rejected_files=[dict(row, message=mask_details(row["message"])) for row in _rows(con, """
            select source_kind, file_name, loaded_at, message from load_log
            where status = 'rejete' order by loaded_at desc""")],
        rejected_lines=_rejected_lines(con) if "dq_rejected_lines" in tables else [],
        unknown_codes=_rows(con, """
            select family, domain, vendor_code, rows, first_file from dq_unknown_codes
            order by rows desc, vendor_code""") if "dq_unknown_codes" in tables else [],
        checks=_quality_checks(con, site, tables) if "dq_results" in tables else None,
        series=dict(series),
    )


def _rejected_lines(con) -> list[dict]:
    """Counts of rejected lines per file, stage and (masked) reason."""
    counts: dict[tuple, int] = defaultdict(int)
    for source_kind, file_name, stage, reason, lines in con.execute("""
            select source_kind, file_name, stage, reason, count(*) from dq_rejected_lines
            group by all""").fetchall():
        counts[(source_kind, file_name, stage, mask_details(reason))] += lines
    return [dict(source_kind=k[0], file_name=k[1], stage=k[2], reason=k[3], lines=n)
            for k, n in sorted(counts.items(), key=lambda item: (item[0][1] or "", -item[1]))]


# Columns of dq_results shown (pipelines/quality/store.py); never `examples`: it holds pseudonymous keys.
CHECK_COLUMNS = ("severity", "family", "description", "table_name", "column_name", "failing_rows", "total_rows",
                 "feeds", "error")


def _quality_checks(con, site: Site, tables: set[str]) -> dict:
    """The checks of the latest quality run that did not succeed (failed or not evaluated), gravest first."""
    columns = {c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_name = 'dq_results'").fetchall()}
    latest = "where run_id = (select max(run_id) from dq_results)" if "run_id" in columns else ""
    shown = [c for c in CHECK_COLUMNS if c in columns]
    rows = _rows(con, f"select {', '.join(shown)}, success from dq_results {latest}")
    severities = list(site.raw["check_severities"])
    failed = sorted((r for r in rows if r["success"] is not True), key=lambda r: (
        severities.index(r["severity"]) if r.get("severity") in severities else len(severities),
        r.get("table_name") or "", r.get("description") or ""))
    finished = con.execute("select max(finished_at) from dq_runs").fetchone()[0] if "dq_runs" in tables else None
    return {"count": len(rows), "failed": failed, "finished_at": finished}


def _breakdown_classes(con, site: Site, tables: set[str], present: set[tuple[str, str]]) -> dict:
    """Label of every breakdown class present, from the site definition (fixed classes or a seed)."""
    result = {}
    for code in sorted({code for code, _ in present}):
        spec = site.breakdown(code)
        known = [BreakdownClass(c["code"], c["label"], c.get("official", c["label"])) for c in spec.get("classes", [])]
        if spec.get("seed") in tables:
            labels = ", ".join(f"nullif(trim(cast({c} as varchar)), '')" for c in spec["label"])
            seed = con.execute(f"""
                select distinct cast({spec['code']} as varchar), coalesce({labels}), {spec.get('order', spec['code'])}
                from {spec['seed']} order by 3, 1""").fetchall()
            qualifiers = spec.get("qualifiers") or [{"prefix": "", "suffix": ""}]
            known = [BreakdownClass(q["prefix"] + c, (label or c) + q["suffix"], (label or c) + q["suffix"])
                     for q in qualifiers for c, label, _ in seed]
        codes = {c.code for c in known}
        others = sorted(b for indicator, b in present if indicator == code and b not in codes)
        result[code] = [c for c in known if (code, c.code) in present] + [
            BreakdownClass(b, _other_label(site, b), b) for b in others]
    return result


def _other_label(site: Site, code: str) -> str:
    prefix, _, last = code.rpartition(":")
    return site.other_classes.get(last, last) + (f" ({prefix})" if prefix else "")
