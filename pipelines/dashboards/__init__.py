"""Dashboards: the static site of an association (output/<id>/dashboards/), built from its warehouse.

Shared definitions and templates live in dashboards/ at the repository root (site.toml, templates/,
static/site.css); this package reads the warehouse (warehouse.py), finds the alerts (alerts.py), draws
the inline SVG charts (charts.py) and writes the pages (build.py).
"""

from pipelines.dashboards.build import build_site

__all__ = ["build_site"]
