"""`tdbms compare`: the parangonnage page of several associations, from their `tdbms share` files only.

Per ESMS category and indicator (and breakdown class, and definition version: unlike definitions are
never pooled), the page gives the number of ESMS with a value (n), the quartiles of their values and the
position of each association's ESMS. Quartiles are computed by linear interpolation between closest
ranks (numpy's default `linear` method, type 7 of Hyndman & Fan), over the values computed under the
shared definitions only: a value computed under a local setting is shown, marked, but left out of n and
of the quartiles. Below MIN_N values no quartile is shown; below ADVISED_N the quartiles are marked as
fragile (the spec's §5.3 advises 10).

The page is one static HTML file with its CSS inline (the dashboards' stylesheet when it exists), no
script and no network: each association can put it on its own site.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from pipelines.dashboards.definition import DASHBOARDS_DIR
from pipelines.errors import TdbmsError
from pipelines.outputs import display_value
from pipelines.share import FORMAT, FORMAT_VERSION

MIN_N = 3
ADVISED_N = 10
DASHBOARDS_CSS = DASHBOARDS_DIR / "static" / "site.css"
QUARTILE_NAMES = ("1er quartile", "2e quartile", "3e quartile", "4e quartile")


def quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method), on sorted values."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def quartile_name(value: float, q1: float, median: float, q3: float) -> str:
    """The quarter of the distribution the value falls in (bounds included in the lower quarter)."""
    return QUARTILE_NAMES[sum(value > bound for bound in (q1, median, q3))]


def load_share(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TdbmsError(f"{path} : fichier introuvable.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TdbmsError(f"{path} : ce n'est pas un fichier JSON lisible ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TdbmsError(f"{path} : ce n'est pas un fichier « {FORMAT} » (produit par `tdbms share`).")
    if data.get("version_format") != FORMAT_VERSION:
        raise TdbmsError(f"{path} : version de format {data.get('version_format')} non prise en charge "
                         f"(version attendue : {FORMAT_VERSION}).")
    return data


@dataclass
class Row:
    """One indicator (or class) of one category: its distribution and each association's values."""

    indicator: str
    classe: str | None
    version: str
    label: str
    class_label: str
    unit: str
    values: dict[str, list[dict]] = field(default_factory=dict)  # association id -> its values

    @property
    def comparable(self) -> list[float]:
        return sorted(v["valeur"] for vs in self.values.values() for v in vs if not v["variante_locale"])

    @property
    def n(self) -> int:
        return len(self.comparable)

    @property
    def quartiles(self) -> tuple[float, float, float] | None:
        ordered = self.comparable
        return tuple(quantile(ordered, q) for q in (0.25, 0.5, 0.75)) if len(ordered) >= MIN_N else None

    def shown(self, association: str) -> list[str]:
        """The association's values, each with its position."""
        quartiles = self.quartiles
        result = []
        for v in self.values.get(association, []):
            text = f"{v['esms']} : {display_value(v['valeur'], self.unit)}"
            if v["variante_locale"]:
                text += " (variante locale, hors quartiles)"
            elif quartiles:
                text += f" ({quartile_name(v['valeur'], *quartiles)})"
            result.append(text)
        return result


def build_comparison(paths: list[Path]) -> dict:
    shares = [load_share(p) for p in paths]
    years = {s["annee"] for s in shares}
    if len(years) > 1:
        raise TdbmsError(f"les fichiers portent sur des années différentes ({', '.join(map(str, sorted(years)))}) : "
                         "comparez les fichiers d'une même année.")
    seen: dict[str, Path] = {}
    for share, path in zip(shares, paths, strict=True):
        if share["association"]["id"] in seen:
            raise TdbmsError(f"{path} et {seen[share['association']['id']]} viennent de la même association "
                             f"({share['association']['id']}) : un fichier par association.")
        seen[share["association"]["id"]] = path

    categories: dict[str, str] = {}
    rows: dict[tuple, Row] = {}
    for share in shares:
        categories.update({c["code"]: c["libelle"] for c in share["categories"]})
        for v in share["valeurs"]:
            if v.get("indicateur_local"):  # an association's own indicator: nothing to compare it with
                continue
            indicator = share["indicateurs"][v["indicateur"]]
            key = (v["categorie"], v["indicateur"], v["classe"] or "", v["version_definition"])
            row = rows.setdefault(key, Row(v["indicateur"], v["classe"], v["version_definition"], indicator["libelle"],
                                           indicator["classes"].get(v["classe"], v["classe"] or ""), v["unite"]))
            row.values.setdefault(share["association"]["id"], []).append(v)
    by_category: dict[str, list[Row]] = {}
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[3])):  # classes keep the files' order
        by_category.setdefault(key[0], []).append(rows[key])
    return {
        "year": years.pop() if years else None,
        "associations": [{"id": s["association"]["id"], "name": s["association"]["nom"], "file": Path(p).name,
                          "generated": s["genere_le"], "anonymised": s["finess_anonymises"],
                          "variants": s["variantes_locales"], "suppressed": s["valeurs_masquees"],
                          "threshold": s["seuil_secret"]}
                         for s, p in zip(shares, paths, strict=True)],
        "categories": [(code, categories.get(code, code), by_category[code]) for code in sorted(by_category)],
    }


def write_page(paths: list[Path], out: Path) -> Path:
    comparison = build_comparison([Path(p) for p in paths])
    css = DASHBOARDS_CSS.read_text(encoding="utf-8") if DASHBOARDS_CSS.exists() else ""
    html = Environment(autoescape=True).from_string(TEMPLATE).render(
        **comparison, css=css + PAGE_CSS, min_n=MIN_N, advised_n=ADVISED_N, value=display_value,
        generated=dt.datetime.now().strftime("%d/%m/%Y à %H:%M"),
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "parangonnage.html"
    page.write_text(html, encoding="utf-8")
    return page


# Own rules, on top of the dashboards' stylesheet when there is one (its colours, else the fallbacks).
PAGE_CSS = """
body { max-width: 90rem; margin: 0 auto; padding: 1rem 1.5rem; font-family: system-ui, sans-serif; }
table.parangonnage { border-collapse: collapse; width: 100%; margin: .5rem 0 2rem; font-size: .9rem; }
table.parangonnage th, table.parangonnage td { border: 1px solid var(--line, #ccc); padding: .3rem .5rem;
  text-align: left; vertical-align: top; }
table.parangonnage thead th { background: var(--band, #eef2f7); }
table.parangonnage td.number { text-align: right; white-space: nowrap; }
.note { color: var(--muted, #555); font-size: .85rem; }
.fragile { color: var(--warn, #8a4b00); }
"""

TEMPLATE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parangonnage {{ year }}</title>
<style>{{ css | safe }}</style>
</head>
<body>
<main>
<h1>Parangonnage des indicateurs du TDB MS — données {{ year }}</h1>
<p>Comparaison entre associations <strong>sans mise en commun des données</strong> : chaque association a fourni un
fichier d'agrégats (<code>tdbms share</code>), où les valeurs reposant sur moins de {{ associations[0].threshold }}
personnes sont déjà masquées. Les ESMS sont comparés à ceux de la même catégorie.</p>
<p class="note">n = nombre d'ESMS ayant une valeur calculée selon les définitions partagées. Quartiles (Q1, médiane,
Q3) par interpolation linéaire entre rangs (méthode par défaut de numpy, type 7 de Hyndman et Fan), affichés à partir
de {{ min_n }} ESMS ; <span class="fragile">en dessous de {{ advised_n }} ESMS, à interpréter avec prudence</span>.
Position d'un ESMS : le quartile où tombe sa valeur (une valeur égale à une borne compte dans le quartile
inférieur). Une valeur calculée avec un paramètre local (variante d'une définition partagée) est affichée mais
n'entre ni dans n ni dans les quartiles.</p>

<nav aria-label="Catégories"><p>Catégories :
{% for code, label, rows in categories %}<a href="#categorie-{{ code }}">{{ label }}</a>{% if not loop.last %} · {% endif %}{% endfor %}</p></nav>

<h2>Associations</h2>
<table class="parangonnage">
<thead><tr><th>Association</th><th>Fichier</th><th>Produit le</th><th>FINESS</th><th>Paramètres locaux</th>
<th>Valeurs masquées (secret)</th></tr></thead>
<tbody>
{% for a in associations %}
<tr><td>{{ a.name }}</td><td>{{ a.file }}</td><td>{{ a.generated }}</td>
<td>{{ "codes opaques" if a.anonymised else "en clair" }}</td>
<td>{% for name, v in a.variants.items() %}{{ name }} = {{ v.valeur }} ({{ v.decision or "?" }}){% if not loop.last %}, {% endif %}{% else %}aucun{% endfor %}</td>
<td class="number">{{ a.suppressed }}</td></tr>
{% endfor %}
</tbody>
</table>

{% for code, label, rows in categories %}
<section id="categorie-{{ code }}">
<h2>{{ label }} ({{ code }})</h2>
<table class="parangonnage">
<thead><tr><th>Indicateur</th><th>Classe</th><th>n</th><th>Q1</th><th>Médiane</th><th>Q3</th>
{% for a in associations %}<th>{{ a.name }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}{% set q = row.quartiles %}
<tr data-category="{{ code }}" data-indicator="{{ row.indicator }}" data-class="{{ row.classe or '' }}" data-n="{{ row.n }}"{% if q %} data-q1="{{ q[0] }}" data-median="{{ q[1] }}" data-q3="{{ q[2] }}"{% endif %}>
<td>{{ row.indicator }} — {{ row.label }} <span class="note">(v{{ row.version }})</span></td>
<td>{{ row.class_label }}</td>
<td class="number{{ ' fragile' if row.n < advised_n }}">{{ row.n }}</td>
{% if q %}{% for x in q %}<td class="number">{{ value(x, row.unit) }}</td>{% endfor %}
{% else %}<td colspan="3" class="note">moins de {{ min_n }} ESMS</td>{% endif %}
{% for a in associations %}<td>{% for text in row.shown(a.id) %}{{ text }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
</section>
{% else %}
<p>Aucune valeur à comparer dans ces fichiers.</p>
{% endfor %}
</main>
<footer class="note"><p>Page produite par tdbms le {{ generated }} à partir de fichiers d'agrégats : aucune donnée
individuelle.</p></footer>
</body>
</html>
"""
