# tdbms — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: demo test test-deploy install parse ui lint clean browser bench postgres

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 est requis ($(PYTHON) introuvable)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements/constraints.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[test,deploy]'
	@touch $(STAMP)

install: $(STAMP)

# dagster-dbt reads target/manifest.json at import: parse the shared dbt project once at set-up.
target/manifest.json: $(STAMP) dbt_project.yml $(shell find models macros seeds -type f 2>/dev/null)
	$(BIN)/python -c "from pipelines.dbt import parse_project; parse_project()"

parse: target/manifest.json

demo: install parse
	$(BIN)/tdbms demo generate
	@for f in associations/*.toml; do \
		id=$$(basename $$f .toml); \
		$(BIN)/tdbms run $$id || exit 1; \
	done
	@echo "Entrepôts :"; ls -1 output/*/warehouse.duckdb
	@echo "Tableaux de bord (à ouvrir dans un navigateur) :"; ls -1 $(CURDIR)/output/*/dashboards/index.html

# The dashboard tests drive Debian's Chromium (no browser download): installed here when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installation de Chromium (paquet Debian) pour les tests des tableaux de bord…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The deployment test (tests/test_deploy.py) starts a throwaway PostgreSQL: Debian's server binaries, installed here when missing.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installation de PostgreSQL (paquet Debian) pour le test du déploiement opérateur…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Two pytest-xdist workers; tests sharing a costly session run (the demo associations, the bad-input corpus)
# stay on one worker (--dist loadgroup, tests/conftest.py), so that run is computed once.
test: install parse browser postgres
	$(BIN)/ruff check pipelines tests
	$(BIN)/pytest -q -n 2 --dist loadgroup --durations=15

# The operator deployment test alone (PostgreSQL, code servers, dagster-daemon, 8 runs); also part of `make test`.
test-deploy: install parse postgres
	$(BIN)/pytest -q tests/test_deploy.py

# The scale benchmark (issue 10, README « Performance »): PROFILE=large (default) or medium; not part of `make test`.
PROFILE ?= large
bench: install parse
	$(BIN)/python benchmarks/run.py --profile $(PROFILE)

ui: install parse
	$(BIN)/tdbms ui

clean:
	rm -rf output target logs
