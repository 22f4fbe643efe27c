# FieldCRM: `make run` serves the demo on SQLite, `make test` runs the whole suite.
#   make run PORT=8080 HOST=0.0.0.0   (default 127.0.0.1:5000; macOS keeps 5000 for AirPlay)
SHELL := /bin/bash
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Two install levels, each stamped with pyproject.toml's hash: `make run` installs what
# running needs; `make test`, `lint` and `bench` add the developer tools on top. A changed
# pyproject.toml makes both stale (and its old stamps are removed).
HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)

.PHONY: setup setup-dev run test lint bench bench-statewide serve worker translations messages bytecode clean

setup: $(RUNTIME_STAMP)
setup-dev: $(DEV_STAMP)

$(RUNTIME_STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
	  echo "== Creating the virtual environment in $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) && $(PIP) install -q --upgrade pip; \
	fi
	@find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '*-$(HASH)' -delete
	@echo "== Installing FieldCRM and what it needs to run (the first time takes a few minutes)"
	$(PIP) install --progress-bar on -e .
	@touch $@
	@$(MAKE) --no-print-directory translations

$(DEV_STAMP): $(RUNTIME_STAMP)
	@echo "== Installing the developer tools (pytest, ruff, Playwright, Parsons)"
	$(PIP) install --progress-bar on -e '.[dev]'
	@touch $@

translations:
	@$(BIN)/pybabel compile -d fieldcrm/translations 2>/dev/null || true

# Re-extract every marked string and merge it into the catalogs, then translate the new and
# fuzzy ones: scripts/translations.py todo todo.json, fill in "es", ... fill todo.json.
messages: setup-dev
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs=".*" -k _l -k lazy_gettext -k lazy_pgettext:1c,2 \
	  -o fieldcrm/translations/messages.pot .
	$(BIN)/pybabel update -i fieldcrm/translations/messages.pot -d fieldcrm/translations

# The address to print: a server on every interface is reached on this machine at 127.0.0.1.
URL_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))

run: setup translations
	$(BIN)/fieldcrm db upgrade
	$(BIN)/fieldcrm seed
	@echo
	@echo "FieldCRM demo: http://$(URL_HOST):$(PORT)"
	@echo "Demo logins (password fieldcrm-demo):"
	@echo "  admin@example.org  director@example.org  organizer@example.org"
	@echo "  organizer2@example.org  leader@example.org"
	@echo
	$(BIN)/fieldcrm run --host $(HOST) --port $(PORT)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole suite on SQLite; again on PostgreSQL when TEST_DATABASE_URL is set (without the
# browser tests, except the field app's, marked both_databases).
test: setup-dev translations lint
	@scripts/ensure-chromium
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  $(BIN)/python -m pytest -m "not browser or both_databases"; \
	fi

# The app's modules compiled once: where PYTHONDONTWRITEBYTECODE is set (as in many container
# images, and on the development machine) every command, worker and reading process would
# otherwise compile them again at its start (about 0.25 s each).
bytecode: setup
	@$(BIN)/python -m compileall -q -j 0 fieldcrm migrations >/dev/null

bench: setup-dev bytecode
	@for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

# Opt-in: an 8.3M-row statewide file into PostgreSQL and its weekly refresh (about 7 GB of
# temporary files, tens of minutes; BENCH_DATABASE_URL, BENCH_STATEWIDE_ROWS).
bench-statewide: setup-dev bytecode
	$(BIN)/python bench/statewide.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Production serving: gunicorn (workers from WEB_CONCURRENCY) plus one RQ worker.
# Needs FIELDCRM_CONFIG (default config.ProductionConfig), SECRET_KEY, DATABASE_URL and
# REDIS_URL in the environment; `fieldcrm db upgrade` runs first. Ctrl-C stops both.
serve worker: export FIELDCRM_CONFIG ?= config.ProductionConfig
serve: setup translations bytecode
	$(BIN)/fieldcrm db upgrade
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python -m fieldcrm.worker & \
	  $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

worker: setup bytecode
	$(BIN)/python -m fieldcrm.worker
