"""`tdbms explain`: the drill-down of one indicator value, as a controller asks for it.

For one ESMS and one period it shows the definition (catalogue), the computed values (numerator,
denominator, value, status of the headline and of each class) and the records that make them: each with
its pseudonymous keys (person, stay or accompagnement), the source file and the line it comes from. Then
it adds the records up again and says whether they give the stored numerator and denominator.

A drill-down is declared, not programmed: an indicator is a list of Parts, each selecting records of one
record source of the common model (SOURCES: persons on the last day of the period, admissions and
sorties, stay × month day counts, acts, stays, rows of the ESMS sheet) with a condition, the quantity each
record brings and, for a breakdown, its class. The SQL fragments may name a setting ({setting}), which
is replaced by the association's value, so that the drill-down follows the association's own settings.
Names never enter the warehouse: nothing here can print one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.config import AssociationConfig
from pipelines.errors import TdbmsError
from pipelines.outputs import display_value, read_warehouse, rows, status_label

NUMERATOR, DENOMINATOR = "numérateur", "dénominateur"
PERIOD_LABELS = {"year": "année", "month": "mois", "ytd": "cumul depuis janvier"}

# Record sources: one select each over the common model for the ESMS ($finess) and the period (CTE
# `period`), with at least person_key, reference (the key of the record), mode, date, file_hash and line.
SOURCES = {
    "persons_at_end": ("""
        select p.person_key, p.accompagnement_key as reference, p.mode, p.period_end as date,
               coalesce(ages.class_label, 'non renseigné') as age_class, p.protection, p.in_dependency_scope,
               p.gir, p.gir_weight, p.pathos_points, stays._file_hash as file_hash, stays._line as line
        from int_a1_persons_at_period_end as p
        join period on period.period_type = p.period_type and period.year = p.year
                   and period.month is not distinct from p.month
        left join int_stays as stays on stays.stay_key = p.stay_key
        left join person_age_classes as ages on p.age between ages.age_min and coalesce(ages.age_max, 1000)
        where p.finess = $finess""", "'présente le dernier jour de la période'"),
    "events": ("""
        select e.person_key, e.accompagnement_key as reference, e.mode, e.event_date as date, e.event,
               e.class_code, e.accompagnement_days, e.last_stay_days,
               stays._file_hash as file_hash, stays._line as line
        from int_a1_period_events as e
        join period on period.period_type = e.period_type and period.year = e.year
                   and period.month is not distinct from e.month
        left join int_stays as stays
            on stays.accompagnement_key = e.accompagnement_key
           and (e.event = 'admission' and stays.entry_date = e.event_date
                or e.event = 'sortie' and stays.exit_date = e.event_date)
        where e.finess = $finess
        qualify row_number() over (partition by e.accompagnement_key, e.event order by stays.entry_date) = 1""",
        "case event when 'admission' then 'admission' else 'sortie définitive' end || ' (' || class_code || ')'"),
    "stay_months": ("""
        select sm.person_key, sm.stay_key as reference, sm.mode, modes.mode_group, sm.is_residential,
               sm.month_start as date, sm.journees_realisees, sm.covered_days, sm.absent_hospital_days,
               sm.absent_other_days, coalesce(billed._file_hash, stays._file_hash) as file_hash,
               coalesce(billed._line, stays._line) as line
        from int_stay_months as sm
        join int_period_months as pm on pm.month_start = sm.month_start
        join period on period.period_type = pm.period_type and period.year = pm.year
                   and period.month is not distinct from pm.month
        join int_stays as stays on stays.stay_key = sm.stay_key
        left join modes on modes.mode = sm.mode
        left join billed on billed.stay_key = sm.stay_key and billed.month_start = sm.month_start
        where sm.finess = $finess""", "'mois ' || strftime(date, '%m/%Y')"),
    "acts": ("""
        select acts.person_key, acts.act_key as reference, acts.mode, acts.day as date, acts.status,
               acts._file_hash as file_hash, acts._line as line
        from int_acts as acts
        join period on acts.day between period.period_start and period.period_end
        where acts.finess = $finess""", "'acte ' || coalesce(status, '?')"),
    "stays": ("""
        select stays.person_key, stays.stay_key as reference, stays.mode, stays.entry_date as date,
               stays.entry_date <= period.period_end
                   and coalesce(stays.exit_date, date '9999-12-31') > period.period_end as covers_end,
               coalesce(stays.exit_date between period.period_start and period.period_end, false)
                   as ended_in_period,
               stays._file_hash as file_hash, stays._line as line
        from int_stays as stays cross join period
        where stays.finess = $finess""",
        "case when covers_end then 'séjour en cours le dernier jour' else 'séjour terminé dans la période' end"),
    "sheet": ("""
        select null as person_key, 'fiche ESMS ' || sheet.mode as reference, sheet.mode, modes.mode_group,
               cast(null as date) as date, period.period_days,
               make_date(period.year, 12, 31) - make_date(period.year, 1, 1) + 1 as year_days,
               sheet.* exclude (finess, year, mode, _file_hash, _line),
               sheet._file_hash as file_hash, sheet._line as line
        from stg_esms__caracterisation as sheet
        join period on period.year = sheet.year
        left join modes on modes.mode = sheet.mode
        where sheet.finess = $finess""", "'fiche ESMS, mode ' || mode"),
}


@dataclass(frozen=True)
class Part:
    """Records of one source that add up to (part of) a numerator or a denominator."""

    role: str  # NUMERATOR or DENOMINATOR
    source: str  # key of SOURCES
    where: str = "true"
    quantity: str = "1"  # what each record brings (summed)
    classe: str | None = None  # SQL of the record's class; None: the records make the headline value
    every_class: bool = False  # the same records for every class (denominator of a distribution)
    distinct_persons: bool = False  # the part counts distinct persons, not records
    maximum: bool = False  # the part is the largest quantity (a value the sheet declares per ESMS)


SPREAD = "* period_days / year_days"  # a yearly quantity of the sheet spread over the period (AC-19)


def _share(source: str, where: str, classe: str, **extra) -> tuple[Part, Part]:
    """A distribution: records of the class / every record (the shares sum to 1)."""
    return (Part(NUMERATOR, source, where, classe=classe, **extra),
            Part(DENOMINATOR, source, where, every_class=True, **extra))


def _dependency_score(points: str, declared: str) -> tuple[Part, ...]:
    scope = f"in_dependency_scope and {points} is not null"
    return (Part(NUMERATOR, "persons_at_end", scope, quantity=points),
            Part(DENOMINATOR, "persons_at_end", scope, distinct_persons=True),
            Part(NUMERATOR, "sheet", f"{declared} is not null", quantity=declared, classe="'valide'", maximum=True))


DRILL_DOWNS: dict[str, tuple[Part, ...]] = {
    "A1-02": _share("persons_at_end", "true", "age_class", distinct_persons=True),
    "A1-03": _share("persons_at_end", "in_dependency_scope and gir is not null", "cast(gir as varchar)",
                    distinct_persons=True),
    "A1-04": _dependency_score("gir_weight", "gmp_valide"),
    "A1-05": _dependency_score("pathos_points", "pmp_valide"),
    "A1-07": (Part(NUMERATOR, "events", "event = 'sortie' and mode not in ('HT', 'AJ')",
                   quantity="{length_of_stay_basis}_days"),
              Part(DENOMINATOR, "events", "event = 'sortie' and mode not in ('HT', 'AJ')")),
    "A1-08": (Part(NUMERATOR, "persons_at_end", "protection", distinct_persons=True),
              Part(DENOMINATOR, "persons_at_end", distinct_persons=True)),
    "A1-09": (Part(NUMERATOR, "sheet", "beneficiaires_aide_sociale is not null", "beneficiaires_aide_sociale"),
              Part(DENOMINATOR, "sheet", "places_habilitees_aide_sociale is not null",
                   "places_habilitees_aide_sociale")),
    "A1-10": _share("events", "event = 'admission'", "class_code"),
    "A1-11": _share("events", "event = 'sortie'", "class_code"),
    "A1-12": (Part(NUMERATOR, "stay_months", "is_residential", "absent_hospital_days"),
              Part(DENOMINATOR, "stay_months", "is_residential", "covered_days")),
    "A1-13": (Part(NUMERATOR, "stay_months", "not paid_by_act", "journees_realisees"),
              Part(NUMERATOR, "acts", "paid_by_act and status = 'REALISE'"),
              Part(DENOMINATOR, "sheet", "not paid_by_act", f"journees_financees {SPREAD}"),
              Part(DENOMINATOR, "sheet", "paid_by_act", f"actes_finances {SPREAD}")),
    "A1-14": (Part(NUMERATOR, "acts", "status = 'REALISE'"),
              Part(DENOMINATOR, "sheet", "actes_finances is not null", f"actes_finances {SPREAD}")),
    "A1-15": (Part(NUMERATOR, "stay_months", "mode_group is not null", "journees_realisees", classe="mode_group"),
              Part(DENOMINATOR, "sheet", "mode_group is not null",
                   f"places_{{occupation_capacity}} * jours_ouverture {SPREAD}", classe="mode_group")),
    "A1-16": (Part(NUMERATOR, "stay_months", "is_residential", "absent_hospital_days + absent_other_days"),
              Part(DENOMINATOR, "stay_months", "is_residential and absent_hospital_days + absent_other_days > 0",
                   distinct_persons=True)),
    "A1-17": (Part(NUMERATOR, "acts", "status in ('ANNULE', 'ABSENT')"),
              Part(DENOMINATOR, "acts", "status in ('REALISE', 'ANNULE', 'ABSENT')")),
    "A1-18": (Part(NUMERATOR, "persons_at_end", distinct_persons=True), Part(NUMERATOR, "events", "event = 'sortie'")),
    "A1-19": (Part(NUMERATOR, "events", "event = 'admission'"),
              Part(DENOMINATOR, "sheet", "true", "places_autorisees")),
    "A1-20": (Part(NUMERATOR, "events", "mode <> 'AJ' and (event = 'sortie' or '{rotation_method}' = 'mean')",
                   "case when '{rotation_method}' = 'mean' then 0.5 else 1 end"),
              Part(DENOMINATOR, "sheet", "mode <> 'AJ'", "places_autorisees")),
    "A1-21": (Part(NUMERATOR, "stays", "mode = 'AJ' and covers_end", distinct_persons=True),
              Part(NUMERATOR, "stays", "mode = 'AJ' and ended_in_period"),
              Part(DENOMINATOR, "sheet", "mode = 'AJ'", "places_autorisees")),
}
# Settings whose other values the drill-down does not follow yet.
REQUIRED_SETTINGS = {"A1-18": ("file_active_method", "official")}

QUERY = """
with period as (
    select * from int_periods
    where period_type = $period_type and year = $year and month is not distinct from $month
),
billed as ({billed}),
records as ({source})
select {classe} as classe, cast({quantity} as double) as quantity, person_key, reference, mode, date,
       {detail} as detail, files.file_name, line
from records
cross join (select has_actes_finances as paid_by_act from int_esms where finess = $finess and year = $year)
left join (select file_hash, min(file_name) as file_name from load_log group by file_hash) as files
    using (file_hash)
where {where}
order by date, reference
"""


def _billed_days(con) -> str:
    """Lineage of billed monthly day counts (families that deliver them): the line of the month."""
    views = [name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_name like 'stg\\_%\\_\\_billed\\_days' escape '\\'"
    ).fetchall()]
    return " union all ".join(f"select stay_key, month_start, _file_hash, _line from {v}" for v in views) or \
        "select null::varchar as stay_key, null::date as month_start, null::varchar as _file_hash, null::int as _line"


def _period(year: int, month: int | None, cumulative: bool) -> tuple[str, int | None]:
    if month is None:
        if cumulative:
            raise TdbmsError("l'option --cumul demande un mois (--month).")
        return "year", None
    if not 1 <= month <= 12:
        raise TdbmsError(f"mois « {month} » invalide : 1 à 12.")
    return ("ytd" if cumulative else "month"), month


def explain(cfg: AssociationConfig, code: str, finess: str, year: int, month: int | None = None,
            cumulative: bool = False, breakdown: str | None = None) -> dict:
    """Definition, values and contributing records of one indicator for one ESMS and one period."""
    code = code.upper()
    period_type, month = _period(year, month, cumulative)
    params = {"finess": finess, "period_type": period_type, "year": year, "month": month}
    with read_warehouse(cfg) as con:
        # the definition as of the association's release (or one of its local indicators)
        definition = rows(con, "select * from dim_indicators where code = ?", [code])
        if not definition:
            raise TdbmsError(f"indicateur « {code} » inconnu du catalogue (codes A1-01 … A4-03).")
        definition = definition[0]
        esms = rows(con, """
            select esms_name, category_code, category_acronym from int_esms where finess = ? and year = ?""",
                    [finess, year])
        if not esms:
            raise TdbmsError(f"l'ESMS {finess} n'est pas dans la fiche ESMS de l'association {cfg.id} pour {year}.")
        period = rows(con, """select period_start, period_end from int_periods
                              where period_type = $period_type and year = $year and month is not distinct from $month""",
                      {k: params[k] for k in ("period_type", "year", "month")})
        values = rows(con, """
            select breakdown, numerator, denominator, value, status from fct_indicator_values
            where indicator_code = $code and finess = $finess and period_type = $period_type and year = $year
              and month is not distinct from $month and ($breakdown is null or breakdown = $breakdown)
            order by breakdown nulls first""", {**params, "code": code, "breakdown": breakdown})
        message, parts = _drill_down(code, definition, cfg.settings)
        records = _records(con, parts, params, cfg.settings) if parts else []

    if breakdown is not None:
        records = [r for r in records if r["classe"] in (breakdown, None) and _applies(r["_part"], breakdown)]
    return {
        "indicateur": code,
        "libelle": definition["label"],
        "unite": definition["unit"],
        "definition": {
            "formule": definition["formula"], "numerateur": definition["numerator"],
            "denominateur": definition["denominator"], "version": definition["definition_version"],
            "confiance": definition["confidence"], "decisions": definition["decision_ids"],
            "sources": definition["norm"],
        },
        "esms": {"finess": finess, "nom": esms[0]["esms_name"], "categorie": esms[0]["category_code"]},
        "periode": {"type": period_type, "annee": year, "mois": month,
                    "debut": str(period[0]["period_start"]) if period else None,
                    "fin": str(period[0]["period_end"]) if period else None},
        "valeurs": [dict(classe=v["breakdown"], numerateur=v["numerator"], denominateur=v["denominator"],
                         valeur=v["value"], statut=v["status"], statut_libelle=status_label(v["status"]))
                    for v in values],
        "detail_disponible": bool(parts),
        "message": message,
        "enregistrements": [{k: v for k, v in r.items() if not k.startswith("_")} for r in records],
        "controles": _checks(parts, records, values),
    }


def _drill_down(code: str, definition: dict, settings: dict) -> tuple[str | None, tuple[Part, ...]]:
    if code not in DRILL_DOWNS:
        detailed = ", ".join(sorted(DRILL_DOWNS))
        return (f"Le détail des enregistrements de {code} n'est pas encore disponible : seules la définition et "
                f"les valeurs sont affichées. Indicateurs détaillés : {detailed}.", ())
    if code in REQUIRED_SETTINGS:
        name, expected = REQUIRED_SETTINGS[code]
        if settings.get(name) != expected:
            return (f"Le détail de {code} suit la définition partagée ({name} = {expected}) ; l'association a "
                    f"choisi {name} = {settings.get(name)} : le détail de cette variante n'est pas encore "
                    "disponible.", ())
    return None, DRILL_DOWNS[code]


def _records(con, parts: tuple[Part, ...], params: dict, settings: dict) -> list[dict]:
    billed = _billed_days(con)
    records = []
    for part in parts:
        source, detail = SOURCES[part.source]
        sql = QUERY.format(
            billed=billed, source=source, detail=detail,
            classe=part.classe.format(**settings) if part.classe else "cast(null as varchar)",
            quantity=part.quantity.format(**settings), where=part.where.format(**settings),
        )
        for row in rows(con, sql, params):
            records.append({
                "role": part.role,
                "classe": row["classe"],
                "personne": row["person_key"],
                "reference": row["reference"],
                "mode": row["mode"],
                "date": str(row["date"]) if row["date"] else None,
                "detail": row["detail"],
                "quantite": row["quantity"],
                "fichier": row["file_name"],
                "ligne": row["line"],
                "_part": part,
            })
    return records


def _applies(part: Part, classe: str | None) -> bool:
    """Whether the part's records make the value of this class (None = the headline value)."""
    return part.every_class or (part.classe is None) == (classe is None)


def _total(part: Part, records: list[dict], classe: str | None) -> float:
    mine = [r for r in records if r["_part"] is part and (part.every_class or r["classe"] == classe)]
    if part.distinct_persons:
        return len({r["personne"] for r in mine})
    quantities = [r["quantite"] or 0 for r in mine]
    return max(quantities, default=0) if part.maximum else sum(quantities)


def _checks(parts: tuple[Part, ...], records: list[dict], values: list[dict]) -> list[dict]:
    """The records added up again, against the stored numerator and denominator of each value."""
    checks = []
    for value in values:
        classe = value["breakdown"]
        for role, stored in ((NUMERATOR, value["numerator"]), (DENOMINATOR, value["denominator"])):
            applying = [p for p in parts if p.role == role and _applies(p, classe)]
            if not applying or stored is None:
                continue
            total = sum(_total(p, records, classe) for p in applying)
            checks.append({"classe": classe, "role": role, "somme_enregistrements": total, "valeur_entrepot": stored,
                           "concordant": abs(total - stored) <= 1e-6 * max(1.0, abs(stored))})
    return checks


# ------------------------------------------------------------------------------------------- text


def _number(x) -> str:
    if x is None:
        return "—"
    return f"{x:,.2f}".rstrip("0").rstrip(".").replace(",", " ").replace(".", ",")


def _table(header: list[str], lines: list[list]) -> list[str]:
    cells = [header] + [["—" if c is None else str(c) for c in line] for line in lines]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]


def format_text(result: dict, limit: int = 25) -> str:
    period = result["periode"]
    when = f"{period['annee']}" + (f", {PERIOD_LABELS[period['type']]} {period['mois']:02d}" if period["mois"] else "")
    d = result["definition"]
    out = [
        f"{result['indicateur']} — {result['libelle']} ({result['unite']})",
        f"ESMS {result['esms']['finess']} — {result['esms']['nom']} (catégorie {result['esms']['categorie']}), "
        f"période {when} : du {period['debut']} au {period['fin']}",
        "",
        f"Définition (version {d['version']}, {'vérifiée' if d['confiance'] == 'verified' else 'déduite'}) :",
        f"  formule : {d['formule']}",
        f"  numérateur : {d['numerateur']}",
        f"  dénominateur : {d['denominateur'] or '—'}",
        f"  décisions : {d['decisions'] or '—'} ; sources : {d['sources']}",
        "",
        "Valeurs calculées :",
    ]
    out += _table(["classe", "numérateur", "dénominateur", "valeur", "statut"], [
        [v["classe"] or "(ensemble)", _number(v["numerateur"]), _number(v["denominateur"]),
         display_value(v["valeur"], result["unite"]), v["statut_libelle"]] for v in result["valeurs"]])
    out.append("")
    if result["message"]:
        return "\n".join(out + [result["message"]])

    records = result["enregistrements"]
    out.append(f"Enregistrements contributifs ({len(records)}) — clés pseudonymes, fichier source et ligne :")
    shown: dict[tuple, int] = {}
    lines = []
    for r in records:
        key = (r["role"], r["classe"])
        shown[key] = shown.get(key, 0) + 1
        if limit and shown[key] > limit:
            continue
        lines.append([r["role"], r["classe"] or "", r["personne"], r["reference"], r["mode"], r["detail"],
                      _number(r["quantite"]), r["fichier"], r["ligne"]])
    out += _table(["rôle", "classe", "personne", "référence", "mode", "détail", "quantité", "fichier", "ligne"], lines)
    hidden = sum(max(0, n - limit) for n in shown.values()) if limit else 0
    if hidden:
        out.append(f"  … et {hidden} autres enregistrements (--limit 0 pour tout afficher, --json pour les exporter).")
    out += ["", "Contrôle (somme des enregistrements = valeur de l'entrepôt) :"]
    out += _table(["classe", "rôle", "somme", "entrepôt", ""], [
        [c["classe"] or "(ensemble)", c["role"], _number(c["somme_enregistrements"]), _number(c["valeur_entrepot"]),
         "concordant" if c["concordant"] else "ÉCART"] for c in result["controles"]])
    return "\n".join(out)
