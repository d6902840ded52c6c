"""Alerts of the home page: values of the latest full year and the latest month out of their usual range
(site.toml [alerts]), monthly jumps of headline values, and values whose quality checks failed."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.dashboards.definition import Site, month_label, number
from pipelines.dashboards.warehouse import Period, Warehouse


@dataclass(frozen=True)
class Alert:
    finess: str
    code: str
    breakdown: str | None
    period: Period
    value: float | None
    reason: str


def previous_month(period: Period) -> Period:
    year, month = period
    return (year - 1, 12) if month == 1 else (year, month - 1)


def find_alerts(wh: Warehouse, site: Site) -> list[Alert]:
    periods = {p for p in (wh.full_year, wh.latest_month) if p}
    alerts = []
    failed_checks: dict[tuple, float | None] = {}  # one alert per indicator, not one per class of it
    for (finess, code, breakdown, year, month), item in wh.values.items():
        if (year, month) not in periods:
            continue
        unit = wh.catalogue[code]["unit"]
        reasons = []
        if item.status == "failed_checks":
            key = (finess, code, (year, month))
            if breakdown is None or key not in failed_checks:
                failed_checks[key] = item.value if breakdown is None else None
        if item.ok:
            bounds = site.alert_range(code, unit)
            if "max" in bounds and item.value > bounds["max"]:
                reasons.append(f"valeur supérieure à {site.value(bounds['max'], unit)}")
            if "min" in bounds and item.value < bounds["min"]:
                reasons.append(f"valeur inférieure à {site.value(bounds['min'], unit)}")
            if month is not None and breakdown is None:  # classes of a distribution move a lot month to month
                reasons += _jump(wh, site, (finess, code, breakdown), (year, month), item.value, unit)
        alerts += [Alert(finess, code, breakdown, (year, month), item.value, r) for r in reasons]
    alerts += [Alert(finess, code, None, period, value, "contrôle de qualité en échec")
               for (finess, code, period), value in failed_checks.items()]
    return sorted(alerts, key=lambda a: (a.finess, site.axis_of.get(a.code, 9), a.code, a.breakdown or "", a.period[1] or 0))


def _jump(wh: Warehouse, site: Site, key: tuple, period: Period, value: float, unit: str) -> list[str]:
    before = wh.get(*key, previous_month(period))
    if not before or not before.ok or before.value == 0:
        return []
    change = (value - before.value) / abs(before.value)
    if abs(change) <= site.monthly_jump:
        return []
    sign = "+" if change > 0 else "−"
    return [f"variation de {sign}{number(abs(change) * 100, 0)} % par rapport à "
            f"{month_label(*previous_month(period))} ({site.value(before.value, unit)})"]
