# PCREF Hub. Quick start: `make run` (set up + demo) and `make test` (set up + every test).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PO_FILES := $(wildcard src/pcref/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
PYTEST_WORKERS ?= 2

.PHONY: help run test lint bench load format java messages extract-messages lock chromium setup setup-dev clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "PCREF Hub needs Python 3.11 (found $$($(PYTHON) --version 2>&1)); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Stamp files make a second run fast: pip runs again only when the locks change.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

# The nlp extra (sentence embeddings) for the benchmark: torch's CPU wheel first, as the
# extra's comment in pyproject.toml says, so pip never reaches for a CUDA build.
$(VENV)/.installed-nlp: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[nlp]"
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 with npm (e.g. apt-get install nodejs npm), then run make again."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -D django -i $< -o $@

messages: $(MO_FILES) ## compile the translations

setup: $(VENV)/.installed node_modules/.installed messages ## install everything the demo needs

setup-dev: setup $(VENV)/.installed-dev .venv-load/.installed chromium java

chromium: ## install Debian's Chromium for the browser tests, if absent
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# after chromium: both may run apt-get, which a parallel make (make -j2) must not run twice at once
java: | chromium ## install a Java runtime for Spark's local mode (tests of the Spark backend), if absent
	@command -v java >/dev/null || { \
		echo "Installing Debian's Java runtime for Spark"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }

run: setup ## set up and serve the demo on http://127.0.0.1:8000
	$(BIN)/pcref demo

lint: setup-dev ## ruff, formatting and template lint
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/djlint --lint src/pcref

test: setup-dev lint ## set up and run every test (PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

bench: setup $(VENV)/.installed-nlp ## measure statistics, theme suggestions (with the nlp extra), ingest and the metric engine
	$(BIN)/pcref bench

# Locust gets its own virtual environment: the site never imports it, and its pins
# (gevent, flask) stay out of the site's.
.venv-load/.installed: requirements-load.lock | $(BIN)/python
	$(PYTHON) -m venv .venv-load
	.venv-load/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-load.lock
	touch $@

load: setup .venv-load/.installed ## load test on gunicorn + PostgreSQL (needs PostgreSQL's server), then a zero-loss check
	$(BIN)/pcref load --locust .venv-load/bin/locust $(LOAD_OPTIONS)

format: setup-dev ## format the Python code
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

extract-messages: $(VENV)/.installed-dev ## gather translatable strings and update every language's catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k gettext_lazy -k ngettext:1,2 \
		-k ngettext_lazy:1,2 -k pgettext:1c,2 -k pgettext_lazy:1c,2 --no-location --sort-output \
		--no-wrap --project "PCREF Hub" -o src/pcref/locale/django.pot src
	$(BIN)/pybabel update -D django -i src/pcref/locale/django.pot -d src/pcref/locale --no-wrap --ignore-obsolete

lock: setup-dev ## re-pin the dependencies after changing pyproject.toml
	$(BIN)/pip-compile -q --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
		--strip-extras --allow-unsafe --generate-hashes -o requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
		--strip-extras --allow-unsafe --generate-hashes --extra dev -o requirements-dev.lock pyproject.toml
	$(BIN)/pip-compile -q --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
		--strip-extras --allow-unsafe --generate-hashes -o requirements-load.lock requirements-load.in

clean: ## remove the virtual environment, node modules and compiled translations (keeps var/)
	rm -rf $(VENV) .venv-load node_modules $(MO_FILES)
