# The two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: run test install services schema check bench clean pwa browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## make run: venv, install, migrate, demo ward, serve on http://127.0.0.1:8000
run: install pwa
	$(VENV)/bin/otagai db upgrade
	$(VENV)/bin/otagai demo load
	$(VENV)/bin/otagai serve --host 127.0.0.1 --port 8000

## make test: the whole suite on SQLite and PostgreSQL, and the PWA in Chromium
test: install services pwa browser
	$(PY) -m pytest -n 2 --dist worksteal --durations=20

## PostgreSQL and Redis for the suite (already running on this machine kind; started if not).
services:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -n | tail -1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432
	@if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  sleep 1; \
	fi
	@redis-cli -h 127.0.0.1 ping

## The PWA's browser libraries: `npm ci` from the committed lock file, then the few files the
## app imports copied into pwa/vendor/ (git-ignored), with vendor/shell.js listing the app shell
## and its version: a hash of every shell file and sw.js, so any change is a new version that
## browsers offer to update to (vendor/version.json names it). Cheap, so it runs every time.
PWA_VENDOR := pwa/vendor
NPM_STAMP := node_modules/.package-lock.json

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

pwa: $(NPM_STAMP)
	@mkdir -p $(PWA_VENDOR)
	@cp node_modules/preact/dist/preact.mjs $(PWA_VENDOR)/preact.js
	@cp node_modules/htm/dist/htm.mjs $(PWA_VENDOR)/htm.js
	@cp node_modules/idb/build/index.js $(PWA_VENDOR)/idb.js
	@files="$$(find pwa -type f ! -path 'pwa/vendor/*' ! -name sw.js | LC_ALL=C sort) \
	  $(PWA_VENDOR)/preact.js $(PWA_VENDOR)/htm.js $(PWA_VENDOR)/idb.js"; \
	version=$$(sha256sum $$files pwa/sw.js | sha256sum | cut -c1-16); \
	{ echo "// Written by 'make pwa' from the files under pwa/: do not edit or commit."; \
	  echo "export const VERSION = '$$version';"; \
	  echo "export const SHELL = ["; \
	  for f in $$files; do echo "  '/$${f#pwa/}',"; done; \
	  echo "  '/vendor/shell.js',"; \
	  echo "];"; \
	  echo "export const LOCALES = ["; \
	  for f in pwa/i18n/*.json; do echo "  '$$(basename $$f .json)',"; done; \
	  echo "];"; } > $(PWA_VENDOR)/shell.js; \
	echo "{\"version\": \"$$version\"}" > $(PWA_VENDOR)/version.json; \
	echo "pwa: version $$version"

## Debian's Chromium for the browser tests (TOOLING.md; never `playwright install`).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

## Regenerate the committed SDL (a test fails when it is stale).
schema: install
	$(PY) -m backend.api.schema > graphql/schema.graphql

check: install
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/mypy

bench: install services
	$(PY) bench/sync_push.py

clean:
	rm -rf $(VENV) var node_modules $(PWA_VENDOR)
