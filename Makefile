# FieldCRM: `make run` serves the demo on SQLite, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup run test lint bench serve worker translations messages clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@
	@$(MAKE) --no-print-directory translations

translations:
	@$(BIN)/pybabel compile -d fieldcrm/translations 2>/dev/null || true

# Re-extract every marked string and merge it into the catalogs (then translate the new ones).
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 \
	  -o fieldcrm/translations/messages.pot .
	$(BIN)/pybabel update -i fieldcrm/translations/messages.pot -d fieldcrm/translations

run: setup translations
	$(BIN)/fieldcrm db upgrade
	$(BIN)/fieldcrm seed
	@echo
	@echo "FieldCRM demo: http://127.0.0.1:5000"
	@echo "Demo logins (password fieldcrm-demo):"
	@echo "  admin@example.org  director@example.org  organizer@example.org"
	@echo "  organizer2@example.org  leader@example.org"
	@echo
	$(BIN)/fieldcrm run --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole suite on SQLite; again on PostgreSQL when TEST_DATABASE_URL is set.
test: setup translations lint
	@scripts/ensure-chromium
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  $(BIN)/python -m pytest -m "not browser"; \
	fi

bench: setup
	@for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Production serving: gunicorn (workers from WEB_CONCURRENCY) plus one RQ worker.
# Needs FIELDCRM_CONFIG (default config.ProductionConfig), SECRET_KEY, DATABASE_URL and
# REDIS_URL in the environment; `fieldcrm db upgrade` runs first. Ctrl-C stops both.
serve worker: export FIELDCRM_CONFIG ?= config.ProductionConfig
serve: setup translations
	$(BIN)/fieldcrm db upgrade
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python -m fieldcrm.worker & \
	  $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

worker: setup
	$(BIN)/python -m fieldcrm.worker
