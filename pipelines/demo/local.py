"""The demo's local indicator: one association (demo_enfance) adds an indicator of its own next to its
configuration (docs/definitions.md, « Indicateurs locaux »); the other demo associations do not have it."""

from __future__ import annotations

import csv
from pathlib import Path

LOCAL_ASSOCIATION = "demo_enfance"
LOCAL_CODE = "L-01"
LOCAL_MODEL = "local_part_sorties"

CATALOGUE_ROW = {
    "code": LOCAL_CODE,
    "label": "Part des sorties définitives dans les mouvements de la période",
    "short_label": "Part des sorties dans les mouvements",
    "unit": "%",
    "period_kind": "flux",
    "numerator": "sorties définitives de la période (tous modes d'accueil)",
    "denominator": "admissions et sorties définitives de la période (tous modes d'accueil)",
    "formula": "sorties définitives / (admissions + sorties définitives)",
    "norm": "Indicateur propre à l'association (suivi des départs), hors TDB MS",
    "model": LOCAL_MODEL,
}

MODEL_SQL = """-- L-01, indicator of the association only: sorties définitives / (admissions + sorties définitives) of the
-- period, every mode (events of int_a1_period_events, AC-04).
with frame as (
    {{ esms_periods('L-01') }}
),

events as (
    select finess, period_type, year, month,
           count(*) filter (where event = 'sortie') as exits,
           count(*) as movements
    from {{ ref('int_a1_period_events') }}
    group by all
),

scored as (
    select
        frame.finess,
        frame.period_type,
        frame.year,
        frame.month,
        coalesce(events.exits, 0) as numerator,
        coalesce(events.movements, 0) as denominator,
        {{ indicator_status('frame.in_scope_category', denominator='events.movements') }} as status
    from frame
    left join events on {{ same_period('frame', 'events') }}
)

{{ indicator_select('L-01') }}
"""


def write_local_indicators(folder: Path, rows: list[dict] | None = None, models: dict[str, str] | None = None) -> Path:
    """A folder of local indicators: catalogue.csv (rows) and models/<name>.sql; the demo's by default."""
    folder = Path(folder)
    rows = rows if rows is not None else [CATALOGUE_ROW]
    models = models if models is not None else {LOCAL_MODEL: MODEL_SQL}
    (folder / "models").mkdir(parents=True, exist_ok=True)
    with open(folder / "catalogue.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(k for row in rows for k in row)),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for name, sql in models.items():
        (folder / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    return folder
