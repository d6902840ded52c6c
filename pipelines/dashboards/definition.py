"""The site definition (dashboards/site.toml) and the French display of values it drives."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipelines import PROJECT_ROOT

DASHBOARDS_DIR = PROJECT_ROOT / "dashboards"
SITE_DEFINITION = DASHBOARDS_DIR / "site.toml"

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
THIN_SPACE = "\u202f"  # thousands separator (French typography)
NBSP = "\u00a0"


def number(x: float, decimals: int) -> str:
    """1234.5 -> '1 234,5' (narrow no-break space for thousands, decimal comma)."""
    x = round(x, decimals) + 0.0  # no "-0,0"
    return f"{x:,.{decimals}f}".replace(",", THIN_SPACE).replace(".", ",")


def quantity(x: float | None) -> str:
    """A numerator or denominator: up to two decimals, trailing zeros dropped."""
    if x is None:
        return "—"
    text = number(x, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def month_label(year: int, month: int, short: bool = False) -> str:
    return f"{(MONTHS_SHORT if short else MONTHS)[month - 1]} {year}"


@dataclass(frozen=True)
class Site:
    """dashboards/site.toml, read once."""

    raw: dict

    @classmethod
    def load(cls, path: Path = SITE_DEFINITION) -> Site:
        return cls(tomllib.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def title(self) -> str:
        return self.raw["title"]

    @property
    def axes(self) -> list[dict]:
        return self.raw["axes"]

    @property
    def statuses(self) -> dict[str, dict]:
        return self.raw["statuses"]

    @cached_property
    def axis_of(self) -> dict[str, int]:
        return {code: axis["number"] for axis in self.axes for code in axis["indicators"]}

    def page(self, name: str, **keys: str) -> str:
        """File name of a page: page('esms', finess='990000031') -> 'esms-990000031.html'."""
        return self.raw["pages"][name]["file"].format(**keys)

    def navigation(self) -> list[tuple[str, str]]:
        return [(self.page(name), self.raw["pages"][name]["title"]) for name in self.raw["navigation"]]

    def status_label(self, status: str | None) -> str:
        return self.statuses.get(status, {}).get("label", status or "—")

    def value(self, x: float | None, unit: str | None) -> str:
        """An indicator value in French with its unit: 0.125, '%' -> '12,5 %'."""
        if x is None:
            return "—"
        spec = self.raw["units"].get(unit or "", {"decimals": 1, "suffix": f" {unit}" if unit else ""})
        text = number(x * spec.get("scale", 1), spec["decimals"])
        return text + spec["suffix"].replace(" ", NBSP)

    def alert_range(self, code: str, unit: str | None) -> dict:
        alerts = self.raw["alerts"]
        return alerts["indicators"].get(code) or alerts["units"].get(unit or "", {})

    @property
    def monthly_jump(self) -> float:
        return self.raw["alerts"]["monthly_jump"]

    def label(self, table: str, key: str | None) -> str:
        """A label of a small table of the definition (sources, confidence, period_kinds)."""
        return self.raw[table].get(key or "", key or "—")

    def breakdown(self, code: str) -> dict:
        return self.raw["breakdowns"].get(code, {})

    @property
    def other_classes(self) -> dict[str, str]:
        return self.raw["other_classes"]
