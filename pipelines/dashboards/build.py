"""Build the static dashboards site of an association: HTML pages + one CSS file, inline SVG charts, no
script and no network, so that it opens from the file system or any intranet web server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipelines.config import AssociationConfig
from pipelines.dashboards import charts
from pipelines.dashboards.alerts import find_alerts
from pipelines.dashboards.definition import DASHBOARDS_DIR, Site, month_label, number, quantity
from pipelines.dashboards.warehouse import BreakdownClass, Esms, Period, Value, Warehouse, read_warehouse

STYLESHEET = "site.css"


def has_drill_down(code: str) -> bool:
    """Whether `tdbms explain` lists the records of the indicator (imported late: explain reads the site
    definition of this package)."""
    from pipelines.explain import DRILL_DOWNS

    return code in DRILL_DOWNS


@dataclass
class Line:
    """One indicator (or one of its breakdown classes) of one ESMS over the periods shown."""

    esms: Esms
    code: str
    label: str
    unit: str
    breakdown: str | None
    year: Value | None
    previous: Value | None
    month: Value | None
    trend: Markup
    reference: dict | None
    classes: dict[str, Line] = field(default_factory=dict)  # breakdown code -> line
    hidden_classes: list[str] = field(default_factory=list)  # labels of the classes always at 0

    @property
    def status(self) -> str | None:
        """The status of the year's value; for an indicator given by class only, « ok » if a class is."""
        if self.year:
            return self.year.status
        statuses = [c.year.status for c in self.classes.values() if c.year]
        return "ok" if "ok" in statuses else (statuses[0] if statuses else None)

    @property
    def class_scale(self) -> float:
        """Largest value of the year among the classes: the length of the longest bar."""
        return max((c.year.value for c in self.classes.values() if c.year and c.year.ok), default=0)


class SiteBuilder:
    def __init__(self, wh: Warehouse, site: Site):
        self.wh, self.site = wh, site
        self.year, self.month = wh.full_year, wh.latest_month
        self.previous_year = (self.year[0] - 1, None) if self.year else None
        self.alerts = find_alerts(wh, site)
        self.statuses: dict[tuple, set[str]] = defaultdict(set)  # (finess, code[, breakdown]) -> statuses
        self.nonzero: set[tuple] = set()  # (finess, code, breakdown) with a value other than 0
        self.filled: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # finess -> [« OK », applicable] of the year
        for (finess, code, breakdown, year, month), item in wh.values.items():
            self.statuses[(finess, code)].add(item.status)
            self.statuses[(finess, code, breakdown)].add(item.status)
            if item.value:
                self.nonzero.add((finess, code, breakdown))
            if (year, month) == self.year and item.status != "not_applicable":
                self.filled[finess][0] += item.ok
                self.filled[finess][1] += 1
        self.esms_by_finess = {e.finess: e for e in wh.esms}
        self._lines: dict[tuple, Line] = {}
        self.env = Environment(loader=FileSystemLoader(DASHBOARDS_DIR / "templates"), autoescape=True,
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(value=site.value, quantity=quantity, status=site.status_label, period=period_label,
                                datetime=datetime_label, number=number, bar=charts.bar,
                                first_upper=lambda text: text[:1].upper() + text[1:])
        self.env.globals.update(
            site=site, wh=wh, nav=site.navigation(), periods=self.periods, esms_by_finess=self.esms_by_finess,
            class_label=self.class_label, all_axes=self.all_axes,
            esms_page=lambda finess: site.page("esms", finess=finess),
            indicator_page=lambda code: site.page("indicator", code=code),
            generated=datetime_label(dt.datetime.now()), stylesheet=STYLESHEET,
        )

    @property
    def periods(self) -> dict[str, Period | None]:
        return {"year": self.year, "previous": self.previous_year, "month": self.month}

    # -- lines -------------------------------------------------------------------------------------

    def line(self, esms: Esms, code: str, cls: BreakdownClass | None = None) -> Line:
        """The line of an ESMS's indicator (or of one of its classes), made once: the ESMS page and the
        indicator page show the same."""
        key = (esms.finess, code, cls.code if cls else None)
        if key not in self._lines:
            self._lines[key] = self._line(esms, code, cls)
        return self._lines[key]

    def _line(self, esms: Esms, code: str, cls: BreakdownClass | None) -> Line:
        unit, breakdown = self.wh.catalogue[code]["unit"], cls.code if cls else None
        line = Line(
            esms=esms, code=code, label=cls.label if cls else self.wh.catalogue[code]["short_label"], unit=unit,
            breakdown=breakdown,
            year=self.wh.get(esms.finess, code, breakdown, self.year),
            previous=self.wh.get(esms.finess, code, breakdown, self.previous_year),
            month=self.wh.get(esms.finess, code, breakdown, self.month),
            trend=charts.sparkline(self.wh.series.get((esms.finess, code, breakdown), []),
                                   lambda x: self.site.value(x, unit)),
            reference=self.reference(code, esms.category_code, cls.official if cls else None),
        )
        if cls is None:
            applicable = [c for c in self.wh.classes.get(code, []) if self.applies(esms.finess, code, c.code)]
            line.classes = {c.code: self.line(esms, code, c) for c in applicable if self.shown(esms.finess, code, c)}
            line.hidden_classes = [c.label for c in applicable if c.code not in line.classes]
        return line

    def shown(self, finess: str, code: str, cls: BreakdownClass) -> bool:
        return not self.site.breakdown(code).get("hide_zero") or (finess, code, cls.code) in self.nonzero

    def class_label(self, code: str, breakdown: str) -> str:
        return next((c.label for c in self.wh.classes.get(code, []) if c.code == breakdown), breakdown)

    def applies(self, finess: str, *key: str | None) -> bool:
        """Some value of the indicator (or of one of its classes) for this ESMS is not « not applicable »."""
        return bool(self.statuses.get((finess, *key), set()) - {"not_applicable"})

    def reference(self, code: str, category: str, official: str | None) -> dict | None:
        """The national reference closest to the ESMS: its own category first, then the latest year."""
        candidates = [r for r in self.wh.references
                      if r["indicator_code"] == code and (r["breakdown_class"] or None) == official
                      and (r["category_code"] == "tous" or category in r["category_code"].split())]
        return max(candidates, key=lambda r: (r["category_code"] != "tous", r["year"]), default=None)

    # -- page contexts -----------------------------------------------------------------------------

    @property
    def all_axes(self) -> list[dict]:
        """The four axes of the site, then the association's local indicators (docs/definitions.md)."""
        local = [code for code, row in self.wh.catalogue.items() if row.get("is_local")]
        return self.site.axes + ([{"number": "L", "title": "Indicateurs locaux de l'association",
                                   "indicators": local}] if local else [])

    def axes(self, esms: Esms) -> list[dict]:
        sections = []
        for axis in self.all_axes:
            lines, not_applicable, not_computed = [], [], []
            for code in (c for c in axis["indicators"] if c in self.wh.catalogue):
                if (esms.finess, code) not in self.statuses:
                    not_computed.append(code)
                elif self.applies(esms.finess, code):
                    lines.append(self.line(esms, code))
                else:
                    not_applicable.append(code)
            sections.append(dict(axis, lines=lines, not_applicable=not_applicable, not_computed=not_computed))
        return sections

    def completeness(self, finess: str) -> tuple[int, int]:
        """(values « OK », applicable values) of the latest full year, headline and classes."""
        return tuple(self.filled[finess])

    def home(self) -> dict:
        categories = defaultdict(list)
        for esms in self.wh.esms:
            categories[(esms.category_code, esms.category_label)].append(dict(
                esms=esms, alerts=sum(a.finess == esms.finess for a in self.alerts),
                completeness=self.completeness(esms.finess)))
        return dict(categories=categories, alerts=self.alerts)

    def esms_context(self, esms: Esms) -> dict:
        return dict(esms=esms, axes=self.axes(esms), alerts=[a for a in self.alerts if a.finess == esms.finess])

    def indicator_context(self, code: str) -> dict:
        """Every ESMS of the association side by side, grouped by category (categories in scope first)."""
        row = self.wh.catalogue[code]
        scope = row["applicable_categories"].split()
        groups = defaultdict(list)
        for esms in sorted(self.wh.esms, key=lambda e: "tous" not in scope and e.category_code not in scope):
            if (esms.finess, code) in self.statuses:
                groups[(esms.category_code, esms.category_label)].append(self.line(esms, code))
        lines = [line for group in groups.values() for line in group]
        return dict(
            row=row, groups=groups, lines=lines, matrix=[line for line in lines if line.classes],
            classes=[c for c in self.wh.classes.get(code, []) if any(c.code in line.classes for line in lines)],
            has_headline=any(line.year or line.month for line in lines),
            scale=max((line.year.value for line in lines if line.year and line.year.ok), default=0),
            scope="Tous les ESMS" if "tous" in scope else ", ".join(self.wh.categories.get(c, c) for c in scope),
            references=[r for r in self.wh.references if r["indicator_code"] == code],
            association_id=self.wh.association_id, drill_down=has_drill_down(code),
        )

    def quality_context(self) -> dict:
        failed = defaultdict(int)
        for (finess, code, _, _, _), item in self.wh.values.items():
            if item.status == "failed_checks":
                failed[(finess, code)] += 1
        return dict(failed_values=sorted(failed.items()),
                    completeness={e.finess: self.completeness(e.finess) for e in self.wh.esms})

    # -- output ------------------------------------------------------------------------------------

    def write(self, folder: Path) -> None:
        def render(file_name: str, template: str, **context) -> None:
            html = self.env.get_template(template).render(page_file=file_name, **context)
            (folder / file_name).write_text(html, encoding="utf-8")

        shutil.copyfile(DASHBOARDS_DIR / "static" / STYLESHEET, folder / STYLESHEET)
        render(self.site.page("home"), "home.html.j2", **self.home())
        for esms in self.wh.esms:
            render(self.site.page("esms", finess=esms.finess), "esms.html.j2", **self.esms_context(esms))
        for code in self.wh.catalogue:
            render(self.site.page("indicator", code=code), "indicator.html.j2", **self.indicator_context(code))
        render(self.site.page("quality"), "quality.html.j2", **self.quality_context())
        render(self.site.page("glossary"), "glossary.html.j2")


def build_site(cfg: AssociationConfig, out_dir: Path | None = None) -> Path:
    """Build the site of an association from its warehouse (read-only) and return the home page path.

    The site is written beside its destination then swapped in, so that a reader never sees half a site.
    """
    site = Site.load()
    out_dir = Path(out_dir or cfg.output_dir / "dashboards").resolve()
    builder = SiteBuilder(read_warehouse(cfg.warehouse_path, site), site)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.new")
    retired = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.old")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        builder.write(staging)
        if out_dir.exists():
            out_dir.rename(retired)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    return out_dir / site.page("home")


def period_label(period: Period | None, short: bool = False) -> str:
    if not period:
        return "—"
    year, month = period
    return str(year) if month is None else month_label(year, month, short)


def datetime_label(moment: dt.datetime | None) -> str:
    return moment.strftime("%d/%m/%Y à %H:%M") if moment else "—"
