"""What the association's outputs share (campaign export, drill-down, aggregates for benchmarking):
read-only access to the warehouse and the French wording of statuses and values.

The wording comes from the dashboards' site definition (dashboards/site.toml), so that a status or a
value reads the same on the site, in the campaign workbook and in the terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import duckdb

from pipelines.config import AssociationConfig
from pipelines.dashboards.definition import Site
from pipelines.errors import TdbmsError
from pipelines.warehouse import connect


@contextmanager
def read_warehouse(cfg: AssociationConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """The association's warehouse, read only (French errors when it is absent or locked)."""
    if not cfg.warehouse_path.exists():
        raise TdbmsError(f"{cfg.warehouse_path} : entrepôt absent, lancez d'abord `tdbms run {cfg.id}`.")
    con = connect(cfg.warehouse_path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@cache
def site() -> Site:
    return Site.load()


def status_label(status: str | None) -> str:
    return site().status_label(status)


def status_meaning(status: str | None) -> str:
    return site().statuses.get(status, {}).get("meaning", "")


def display_value(value: float | None, unit: str | None) -> str:
    """An indicator value in French with its unit (0.125, '%' -> '12,5 %')."""
    return site().value(value, unit)
