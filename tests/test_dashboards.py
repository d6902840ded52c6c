"""The dashboards site in a real headless Chromium (Debian's package, no browser download).

A small association (two IME and a MAS, 2023–2024, one rejected line, one unknown code, two quality runs)
goes through the real pipeline; its site is built, then every page is opened from file:// with every request routed (only
file:// may load), console errors collected, links followed, and the values shown compared with
fct_indicator_values formatted in French here, independently of the site's own formatting.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pytest
from click.testing import CliRunner

from pipelines import PROJECT_ROOT
from pipelines.cli import main
from pipelines.dashboards import build_site
from pipelines.dashboards.definition import Site
from pipelines.dashboards.warehouse import mask_details
from pipelines.demo.facts import Absence, ActivityFacts, Person, Stay
from pipelines.quality.store import ensure_dq_tables
from pipelines.run import run_association
from tests.conftest import make_association, query

D = dt.date
IME_A, IME_B, MAS = "990000901", "990000902", "990000903"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "output" / "test-artifacts"


def sheet() -> list[dict]:
    """IME B has fewer places than the children it keeps all year: its occupation is above 100 %."""
    ime = {"category_code": "183", "mode": "INT", "jours_ouverture": 210, "age_min": 6, "age_max": 20}
    rows = []
    for year in (2023, 2024):
        rows += [
            {**ime, "finess": IME_A, "year": year, "esms_name": "IME Les Érables", "places_autorisees": 6},
            {**ime, "finess": IME_A, "year": year, "esms_name": "IME Les Érables", "places_autorisees": 2, "mode": "SEMI"},
            {**ime, "finess": IME_B, "year": year, "esms_name": "IME Les Saules", "places_autorisees": 3},
            {"finess": MAS, "year": year, "esms_name": "MAS Les Tilleuls", "category_code": "255", "mode": "HP",
             "places_autorisees": 5, "jours_ouverture": 365},
        ]
    return rows


def facts() -> ActivityFacts:
    births = {1: D(2010, 4, 1), 2: D(2011, 5, 2), 3: D(2013, 6, 3), 4: D(2014, 7, 4), 5: D(2009, 8, 5),
              6: D(2012, 9, 6), 7: D(2015, 10, 7), 8: D(1970, 1, 8), 9: D(1975, 2, 9), 10: D(1980, 3, 10),
              11: D(1985, 4, 11), 12: D(1990, 5, 12)}
    persons = [Person(f"D{i:02d}", f"Nom{i}", f"Prénom{i}", "F" if i % 2 else "M", born,
                      main_deficiency="ZZZ" if i == 5 else "DI") for i, born in births.items()]
    stays = [
        Stay("S1", "D01", IME_A, "INT", D(2022, 9, 1), None, "DOM"),
        Stay("S2", "D02", IME_A, "INT", D(2023, 1, 9), D(2024, 6, 28), "DOM", "DOM"),
        Stay("S3", "D03", IME_A, "INT", D(2023, 3, 1), None, "MS"),
        Stay("S4", "D04", IME_A, "INT", D(2024, 2, 1), None, "SAN"),
        Stay("S5", "D05", IME_B, "INT", D(2022, 1, 1), None, "DOM"),
        Stay("S6", "D06", IME_B, "INT", D(2023, 5, 15), D(2024, 3, 31), "DOM", "REOR"),
        Stay("S7", "D07", IME_B, "INT", D(2024, 4, 1), None, "MS"),
        Stay("S8", "D08", MAS, "HP", D(2020, 1, 1), None, "DOM"),
        Stay("S9", "D09", MAS, "HP", D(2021, 6, 1), D(2024, 8, 10), "SAN", "DC"),
        Stay("S10", "D10", MAS, "HP", D(2023, 2, 1), None, "MS"),
        Stay("S11", "D11", MAS, "HP", D(2024, 9, 1), None, "DOM"),
        Stay("S12", "D12", MAS, "HP", D(2023, 1, 1), D(2023, 12, 31), "DOM", "HOSP"),
    ]
    absences = [Absence("S8", D(2024, 3, 1), D(2024, 3, 10), "HOSP"), Absence("S1", D(2024, 5, 2), D(2024, 5, 5), "CONV")]
    return ActivityFacts(persons=persons, stays=stays, absences=absences, extraction_date=D(2025, 1, 31))


@pytest.fixture(scope="module")
def association(tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboards")
    cfg = make_association(root, "export_csv", facts(), sheet(), assoc_id="test_dash")
    stays = next(cfg.activity_path.glob("extraction_*/sejours.csv"))  # one line rejected: an invalid FINESS
    stays.write_bytes(stays.read_bytes().replace(f"S12;D12;{MAS}".encode(), b"S12;D12;12345"))
    run_association(cfg)
    con = duckdb.connect(str(cfg.warehouse_path))  # two quality runs (pipelines/quality's tables)
    ensure_dq_tables(con)
    con.execute("insert into dq_runs (run_id, finished_at) values (1, '2025-02-01 08:00'), (2, '2025-02-02 09:30')")
    con.executemany(
        "insert into dq_results (run_id, check_id, family, severity, description, table_name, success, failing_rows,"
        " total_rows, examples, feeds) values (?, ?, 'plausibility', 'bloquant', ?, 'int_stays', ?, ?, 12, ?, ?)",
        [(1, "c1", "Contrôle ancien en échec", False, 1, None, ["*"]),
         (2, "c1", "Contrôle réussi", True, 0, None, ["*"]),
         (2, "c2", "Durées de séjour plausibles", False, 2, '[{"person_key": "CLE_PSEUDONYME_42"}]', ["A1-07"])])
    con.close()
    return cfg


@pytest.fixture(scope="module")
def site_dir(association) -> Path:
    home = build_site(association)
    assert home == association.output_dir / "dashboards" / "index.html" and home.is_file()
    return home.parent


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("Chromium is not installed: the dashboard tests need Debian's `chromium` package "
                    "(`apt-get install -y chromium`, done by `make test`).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page whose every request is routed: file:// loads, anything else is refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside, page.errors = [], []

    def route(route, request):
        if request.url.startswith("file://"):
            route.continue_()
        else:
            page.outside.append(request.url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def open_page(page, path: Path) -> None:
    page.goto(path.as_uri())
    assert not page.errors, f"{path.name}: console errors {page.errors}"
    assert not page.outside, f"{path.name}: requests leaving the machine {page.outside}"


def squash(shown: str) -> str:
    """Displayed text with every kind of space as one plain space."""
    return re.sub(r"\s+", " ", shown.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def text(page, selector: str) -> str:
    return squash(page.locator(selector).inner_text())


def french(value: float, unit: str) -> str:
    """The expected display, written here independently: a fraction as a percentage with one decimal."""
    if unit == "%":
        return f"{value * 100:.1f} %".replace(".", ",")
    return f"{value:.0f} {unit}"


def fct(cfg, code: str, finess: str, year: int, month: int | None = None, breakdown: str | None = None):
    rows = query(cfg, """select value, unit, status from fct_indicator_values
                         where indicator_code = ? and finess = ? and year = ? and month is not distinct from ?
                           and breakdown is not distinct from ? and period_type = ?""",
                 [code, finess, year, month, breakdown, "year" if month is None else "month"])
    assert len(rows) == 1 and rows[0][2] == "ok", rows
    return rows[0][0], rows[0][1]


def test_site_definition_covers_the_catalogue():
    site = Site.load()
    with open(PROJECT_ROOT / "seeds" / "indicator_catalogue.csv", encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle)]
    placed = [code for axis in site.axes for code in axis["indicators"]]
    assert sorted(placed) == sorted(codes), "every catalogue indicator in exactly one axis of dashboards/site.toml"
    assert {k: v["label"] for k, v in site.statuses.items()} == {
        "ok": "OK", "not_applicable": "Non applicable", "missing_input": "Donnée manquante",
        "not_available": "Non disponible dans la source", "failed_checks": "Contrôle en échec"}


def test_reasons_are_shown_without_the_values_they_quote():
    assert mask_details("FINESS « 12345 » invalide (9 caractères attendus)") == "FINESS «…» invalide"
    assert mask_details("valeur « 31/02/2024 » invalide pour « date_entree »") == "valeur «…» invalide pour « date_entree »"
    assert mask_details("séjour qui chevauche un séjour antérieur (FINESS 990000901, entrée le 01/02/2024)") == \
        "séjour qui chevauche un séjour antérieur"


def test_every_page_opens_offline_and_every_link_resolves(site_dir, page, association):
    pages, ids, links, queue = set(), {}, [], ["index.html"]
    while queue:
        name = queue.pop()
        if name in pages:
            continue
        pages.add(name)
        open_page(page, site_dir / name)
        ids[name] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urlparse(href)
            assert not target.scheme and not target.netloc, f"{name}: link leaving the site {href}"
            file_name = unquote(target.path) or name
            assert (site_dir / file_name).is_file(), f"{name}: broken link {href}"
            links.append((name, file_name, target.fragment))
            if file_name not in pages:
                queue.append(file_name)
    assert pages == {p.name for p in site_dir.glob("*.html")}, "every page is reachable from the home page"
    for source, file_name, fragment in links:
        assert not fragment or fragment in ids[file_name], f"{source}: no #{fragment} in {file_name}"
    html = "".join(p.read_text(encoding="utf-8") for p in site_dir.glob("*.html"))
    keys = [k for (k,) in query(association, "select distinct person_key from int_persons")]
    assert keys and not any(key in html for key in keys), "no pseudonymous key in the site"
    assert "Nom1" not in html and "12345" not in html and "CLE_PSEUDONYME_42" not in html, "no person-level value"


def test_home_page(site_dir, page, association):
    open_page(page, site_dir / "index.html")
    assert text(page, "h1") == "Association test_dash"
    assert text(page, ".summary div:first-child dd") == "Décembre 2024"
    for finess in (IME_A, IME_B, MAS):
        assert page.locator(f'a[href="esms-{finess}.html"]').count() >= 1
    assert text(page, "#controles-en-echec") == "Contrôles de qualité en échec : 1 sur 2"
    assert "Durées de séjour plausibles" in text(page, "#alertes table.checks")
    value, unit = fct(association, "A1-15", IME_B, 2024, breakdown="permanent")
    assert value > 1
    rows = page.locator(f'#alertes tr:has(a[href="esms-{IME_B}.html"]):has(a[href="indicateur-A1-15.html"])')
    alert = squash(rows.first.inner_text())
    assert "2024" in alert and french(value, unit) in alert and "supérieure à 100,0 %" in alert
    failed = page.locator("#alertes table.alerts tbody tr").filter(has_text="Contrôle de qualité en échec")
    keys = failed.evaluate_all("""rows => rows.map(r => [...r.querySelectorAll('a')].map(a => a.getAttribute('href'))
                                                  .concat([r.cells[2].innerText]).join(' '))""")
    assert query(association, "select count(*) from fct_indicator_values where status = 'failed_checks'")[0][0]
    assert keys and len(keys) == len(set(keys)), "one alert per indicator whose checks failed, not one per class"
    sources = text(page, "#titre-fraicheur + .table-scroll")
    assert "Activité : export CSV" in sources and "Fiche ESMS (caractérisation)" in sources
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboards-accueil.png"), full_page=True)
    page.keyboard.press("Tab")  # keyboard: the first stop is the skip link, shown with a visible outline
    focused = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
                                       return [e.getAttribute('href'), s.outlineStyle, e.getBoundingClientRect().top]; }""")
    assert focused[0] == "#contenu" and focused[1] != "none" and focused[2] >= 0, focused


def test_esms_page_values_and_charts(site_dir, page, association):
    open_page(page, site_dir / f"esms-{IME_A}.html")
    row = 'tr[data-indicator="A1-18"]:not([data-breakdown])'
    for period, (year, month) in {"year": (2024, None), "previous": (2023, None), "month": (2024, 12)}.items():
        value, unit = fct(association, "A1-18", IME_A, year, month)
        assert text(page, f'{row} td[data-period="{period}"]') == french(value, unit)
    months = query(association, """select count(*) from fct_indicator_values where indicator_code = 'A1-18'
                   and finess = ? and period_type = 'month' and breakdown is null and status = 'ok'""", [IME_A])[0][0]
    assert months == 24 and page.locator(f"{row} svg.sparkline circle").count() == months
    assert page.locator(f"{row} .badge").inner_text() == "OK"

    value, unit = fct(association, "A1-15", IME_A, 2024, breakdown="permanent")
    cell = 'tr[data-indicator="A1-15"][data-breakdown="permanent"] td[data-period="year"]'
    assert text(page, cell) == french(value, unit)
    assert page.locator('tr[data-indicator="A1-15"][data-breakdown="permanent"] svg.bar rect.fill').count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboards-esms.png"), full_page=True)


def test_indicator_page_compares_every_esms(site_dir, page, association):
    open_page(page, site_dir / "indicateur-A1-18.html")
    for finess in (IME_A, IME_B, MAS):
        value, unit = fct(association, "A1-18", finess, 2024)
        assert text(page, f'tr[data-finess="{finess}"] td[data-period="year"]') == french(value, unit)
    order = page.eval_on_selector_all("tr[data-finess]", "rows => rows.map(r => r.dataset.finess)")
    assert order.index(MAS) > max(order.index(IME_A), order.index(IME_B)), "ESMS grouped by category"


def test_quality_page_shows_aggregates(site_dir, page):
    open_page(page, site_dir / "qualite.html")
    rejected = text(page, 'tr[data-file="sejours.csv"]')
    assert "FINESS «…» invalide" in rejected and rejected.endswith(" 1")
    assert "ZZZ" in text(page, "#titre-codes ~ .table-scroll")
    checks = text(page, "#controles")
    assert "Durées de séjour plausibles" in checks and "Bloquant" in checks and "Plausibilité" in checks
    assert "Contrôle réussi" not in checks and "Contrôle ancien" not in checks, "failures of the latest run only"


def test_command_builds_the_site(association):
    result = CliRunner().invoke(main, ["--associations", str(association.config_path), "dashboards", "test_dash"])
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip()) == association.output_dir / "dashboards" / "index.html"
