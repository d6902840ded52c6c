"""`tdbms share`: the aggregates an association may give to others for benchmarking (parangonnage),
without pooling any data: one JSON file, format « tdbms-partage » (docs/outputs.md).

The file holds, for one year, the annual value of every indicator (and breakdown class) of every ESMS
of the association whose status is ok, with its ESMS category, its unit, its definition version, the
count of persons or staff behind it, and whether it was computed under a local setting. It holds no
person-level data and no pseudonymous key: it is read from fct_indicator_values only. FINESS can be
replaced by opaque codes drawn at random for each file (--anonymise-finess).

Small cells are suppressed (statistical secrecy): a value goes out only when the count of persons or
staff behind it is at least SMALL_CELL. How the count is obtained depends on the indicator (COUNT_RULES,
else the axis default); for a share of persons, the persons of the class are a cell too (a class of 1 to
4 persons is suppressed, an empty class is not), and in a distribution whose shares sum to 1 a single
suppressed class would be recomputed from the others, so the next smallest class is suppressed with it.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipelines.campaign import class_labels
from pipelines.config import AssociationConfig
from pipelines.errors import TdbmsError
from pipelines.outputs import read_warehouse, rows, site
from pipelines.releases import get_release, release_defaults
from pipelines.settings import setting_decisions

FORMAT = "tdbms-partage"
FORMAT_VERSION = 1
SMALL_CELL = 5

# How the count behind a value is obtained (French wording, written in the file).
BASES = {
    "denominateur": "personnes du dénominateur de la valeur (à défaut : personnes accompagnées en fin de période)",
    "numerateur": "personnes comptées par la valeur elle-même",
    "personnes_fin_periode": "personnes accompagnées le dernier jour de la période dans l'ESMS "
                             "(dénominateur de A1-02)",
    "personnel_fin_periode": "effectif du personnel au 31/12 (dénominateur de A2-08) ; tant qu'il n'est pas "
                             "calculé, les valeurs sont masquées",
    "aucune": "valeur tirée des comptes de l'ESMS, sans personne derrière : non soumise au seuil",
}


@dataclass(frozen=True)
class CountRule:
    basis: str  # key of BASES
    cells: bool = False  # the numerator counts the persons of a class or subset: 1 to 4 is a small cell
    partition: str | None = None  # classes whose shares sum to 1: prefix of their codes ("" = every class)


AXIS_RULES = {1: CountRule("personnes_fin_periode"), 2: CountRule("personnel_fin_periode"),
              3: CountRule("aucune"), 4: CountRule("personnes_fin_periode")}
COUNT_RULES = {
    "A1-01": CountRule("denominateur", cells=True),
    "A1-02": CountRule("denominateur", cells=True, partition=""),
    "A1-03": CountRule("denominateur", cells=True, partition=""),
    "A1-04": CountRule("denominateur"),
    "A1-05": CountRule("denominateur"),
    "A1-06": CountRule("denominateur", cells=True, partition="principale:"),
    "A1-07": CountRule("denominateur"),
    "A1-08": CountRule("denominateur", cells=True),
    "A1-09": CountRule("numerateur"),
    "A1-10": CountRule("denominateur", cells=True, partition=""),
    "A1-11": CountRule("denominateur", cells=True, partition=""),
    "A1-16": CountRule("denominateur"),
    "A1-18": CountRule("numerateur"),
    "A2-02": CountRule("aucune"),  # a ratio of accounts (RH-13), no staff behind it
    "A2-08": CountRule("denominateur", cells=True, partition=""),
    "A4-01": CountRule("denominateur"),
    "A4-02": CountRule("denominateur"),
    "A4-03": CountRule("aucune"),
}
# The indicators whose denominator gives the headcounts of an ESMS.
HEADCOUNTS = {"personnes_fin_periode": "A1-02", "personnel_fin_periode": "A2-08"}


# An association's own indicator: the persons of its denominator, its numerator a cell (conservative).
LOCAL_RULE = CountRule("denominateur", cells=True)


def count_rule(code: str, axis: int | None) -> CountRule:
    return COUNT_RULES.get(code) or AXIS_RULES.get(axis) or LOCAL_RULE


def _suppress(values: list[dict], rule: CountRule) -> set[int]:
    """Indexes of the values of one ESMS × indicator that must not go out."""
    hidden = {i for i, v in enumerate(values) if v["effectif"] is None or v["effectif"] < SMALL_CELL}
    small = {i for i, v in enumerate(values) if rule.cells and 0 < (v["numerator"] or 0) < SMALL_CELL}
    hidden |= small
    if rule.partition is not None:
        members = [i for i, v in enumerate(values)
                   if v["breakdown"] is not None and v["breakdown"].startswith(rule.partition)]
        if len([i for i in members if i in small]) == 1:
            others = [i for i in members if i not in hidden and (values[i]["numerator"] or 0) > 0]
            if others:
                hidden.add(min(others, key=lambda i: values[i]["numerator"]))
    return hidden


def build_share(cfg: AssociationConfig, year: int, anonymise_finess: bool = False) -> dict:
    variants = cfg.local_settings
    with read_warehouse(cfg) as con:
        catalogue = {r["code"]: r for r in rows(con, """
            select code, axis, short_label, unit, definition_version, is_local, local_variant from dim_indicators""")}
        esms = rows(con, """
            select esms.finess, esms.category_code, coalesce(categories.label, esms.category_code) as category_label
            from int_esms as esms left join esms_categories as categories using (category_code)
            where esms.year = ? order by esms.category_code, esms.finess""", [year])
        if not esms:
            raise TdbmsError(f"aucun ESMS dans la fiche ESMS de l'association {cfg.id} pour l'année {year}.")
        values = rows(con, """
            select finess, indicator_code, breakdown, numerator, denominator, value, status
            from fct_indicator_values where period_type = 'year' and year = ?
            order by finess, indicator_code, breakdown nulls first""", [year])
        labels = class_labels(con)

    headcounts = {(v["finess"], basis): v["denominator"] for basis, code in HEADCOUNTS.items()
                  for v in values if v["indicator_code"] == code and v["denominator"] is not None}
    codes = {e["finess"]: secrets.token_hex(4) if anonymise_finess else e["finess"] for e in esms}
    category = {e["finess"]: e["category_code"] for e in esms}

    groups: dict[tuple[str, str], list[dict]] = {}
    for v in values:
        if v["finess"] in category and v["indicator_code"] in catalogue:
            groups.setdefault((v["finess"], v["indicator_code"]), []).append(v)
    shared, suppressed = [], 0
    for (finess, code), group in groups.items():
        indicator = catalogue[code]
        rule = count_rule(code, indicator["axis"])
        for v in group:
            v["effectif"] = _count(v, rule, headcounts.get((finess, rule.basis)),
                                   headcounts.get((finess, "personnes_fin_periode")))
        hidden = _suppress(group, rule)
        for i, v in enumerate(group):
            if v["status"] != "ok" or v["value"] is None:
                continue
            if i in hidden:
                suppressed += 1
                continue
            shared.append({
                "esms": codes[finess],
                "categorie": category[finess],
                "indicateur": code,
                "classe": v["breakdown"],
                "valeur": v["value"],
                "unite": indicator["unit"],
                "effectif": None if rule.basis == "aucune" else int(v["effectif"]),
                "base_effectif": rule.basis,
                "version_definition": indicator["definition_version"],
                "variante_locale": indicator["local_variant"],  # dim_indicators: cites a decision set locally
                "indicateur_local": indicator["is_local"],
            })

    order = {key: i for i, key in enumerate(labels)}  # the campaign (Appendix A) order of the classes
    # Sorted by ESMS code: with opaque codes, the order of the FINESS does not show through.
    shared.sort(key=lambda v: (v["categorie"], v["esms"], v["indicateur"],
                               order.get((v["indicateur"], v["classe"]), len(order)), v["classe"] or ""))
    classes: dict[str, dict] = {}
    for v in sorted(shared, key=lambda v: (order.get((v["indicateur"], v["classe"]), len(order)), v["classe"] or "")):
        named = classes.setdefault(v["indicateur"], {})
        if v["classe"] is not None:
            named[v["classe"]] = labels.get((v["indicateur"], v["classe"])) or _other_class_label(v["indicateur"], v["classe"])
    defaults = release_defaults(get_release(cfg.release))
    esms_per_category = Counter((e["category_code"], e["category_label"]) for e in esms)
    return {
        "format": FORMAT,
        "version_format": FORMAT_VERSION,
        "genere_le": dt.datetime.now().isoformat(timespec="seconds"),
        "association": {"id": cfg.id, "nom": cfg.name},
        "version_definitions": cfg.release,
        "annee": year,
        "seuil_secret": SMALL_CELL,
        "finess_anonymises": anonymise_finess,
        "variantes_locales": {name: {"valeur": value, "defaut": defaults.get(name),
                                     "decision": setting_decisions().get(name)} for name, value in variants.items()},
        "bases_effectif": BASES,
        "categories": [{"code": code, "libelle": label, "nombre_esms": n}
                       for (code, label), n in sorted(esms_per_category.items())],
        "indicateurs": {code: {"libelle": catalogue[code]["short_label"], "unite": catalogue[code]["unit"],
                               "version_definition": catalogue[code]["definition_version"],
                               "local": catalogue[code]["is_local"], "classes": classes[code]} for code in sorted(classes)},
        "valeurs_masquees": suppressed,
        "valeurs": shared,
    }


def _other_class_label(indicator: str, code: str) -> str:
    """Label of a class without an ATIH column (Creton, non renseigné, inconnu…), from the site definition."""
    spec = site().breakdown(indicator)
    fixed = {c["code"]: c["label"] for c in spec.get("classes", [])}
    if code in fixed:
        return fixed[code]
    for qualifier in spec.get("qualifiers", []):
        if code.startswith(qualifier["prefix"]):
            bare = code.removeprefix(qualifier["prefix"])
            return site().other_classes.get(bare, bare) + qualifier["suffix"]
    return site().other_classes.get(code, code)


def _count(value: dict, rule: CountRule, headcount: float | None, persons_at_end: float | None) -> float | None:
    if rule.basis == "denominateur":
        return value["denominator"] if value["denominator"] is not None else persons_at_end
    if rule.basis == "numerateur":
        return value["numerator"]
    if rule.basis == "aucune":
        return float("inf")
    return headcount


def write_share(cfg: AssociationConfig, year: int, out: Path, anonymise_finess: bool = False) -> Path:
    data = build_share(cfg, year, anonymise_finess)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return out
