"""`tdbms export-pivot`: the association's common activity model written as pivot files (docs/pivot.md).

Read from the warehouse (read only). Keys are already pseudonymous: loading the files as another
association hashes them again, so no identifier leaves in a reversible form. Absences are written as the
periods of the common model (clipped to their stay, one motive per day, AC-02/AC-24). A family that only
delivers billed day counts (classeur_xlsx) does not tell which days were absent or attended: its counts are
written as days placed at the start of each month's covered days, which keeps every monthly and annual
count (and so every indicator) unchanged.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.config import AssociationConfig
from pipelines.demo.writers.pivot import write_rows
from pipelines.errors import TdbmsError

QUERIES = {
    "persons.csv": """
        select person_key, sex, birth_date, main_deficiency, associated_deficiencies, protection,
               mdph_orientation, current_gir
        from int_persons order by person_key""",
    "stays.csv": """
        select stay_key, person_key, finess, mode, entry_date, exit_date, provenance, exit_motive, creton
        from int_stays order by stay_key""",
    "absences.csv": """
        with days as (
            select stay_key, day, motive from int_absence_days
            where stay_key not in (select stay_key from int_stay_months where is_billed)
            union all
            -- billed absences: hospital days first, then the others, from the first covered day of the month
            select stay_key, day, case when n <= absent_hospital_days then 'HOSP' else 'AUTRE' end
            from (
                select *, row_number() over (partition by stay_key, date_trunc('month', day) order by day) as n
                from (
                select m.stay_key, m.absent_hospital_days,
                       cast(unnest(generate_series(greatest(s.entry_date, m.month_start),
                                                   least(coalesce(s.exit_date, date '9999-12-31'), last_day(m.month_start) + 1) - 1,
                                                   interval 1 day)) as date) as day,
                       m.covered_days - m.journees_realisees as absent_days
                from int_stay_months m join int_stays s using (stay_key)
                where m.is_billed and m.is_residential and m.covered_days > m.journees_realisees
                )
            )
            where n <= absent_days
        ),
        islands as (
            select *, day - cast(row_number() over (partition by stay_key, motive order by day) as integer) as island
            from days
        )
        select stay_key, min(day), max(day), motive
        from islands group by stay_key, motive, island order by 1, 2""",
    "attendance_days.csv": """
        select stay_key, day from int_attendance_days
        where stay_key not in (select stay_key from int_stay_months where is_billed)
        union all
        select stay_key, day from (
            select m.stay_key, m.attendance_days,
                   cast(unnest(generate_series(greatest(s.entry_date, m.month_start),
                                               least(coalesce(s.exit_date, date '9999-12-31'), last_day(m.month_start) + 1) - 1,
                                               interval 1 day)) as date) as day
            from int_stay_months m join int_stays s using (stay_key)
            join modes on modes.mode = m.mode
            where m.is_billed and modes.is_day_mode and m.attendance_days > 0
        )
        qualify row_number() over (partition by stay_key, date_trunc('month', day) order by day) <= attendance_days
        order by 1, 2""",
    "acts.csv": "select act_key, stay_key, day, kind, status from int_acts order by act_key",
    "assessments.csv": """
        select person_key, assessed_on, gir, pathos_points from int_assessments order by person_key, assessed_on""",
}


def export_pivot(cfg: AssociationConfig, out: Path) -> list[Path]:
    if not cfg.warehouse_path.exists():
        raise TdbmsError(f"{cfg.warehouse_path} : entrepôt absent, lancez d'abord `tdbms run {cfg.id}`.")
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        rows = {name: [list(row) for row in con.execute(sql).fetchall()] for name, sql in QUERIES.items()}
    except duckdb.CatalogException as exc:
        raise TdbmsError(f"{cfg.warehouse_path} : modèle commun incomplet ({exc}) ; relancez `tdbms run {cfg.id}`.") from None
    finally:
        con.close()
    return write_rows(out, rows)
