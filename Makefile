# The two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: run test install services schema check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## make run: venv, install, migrate, demo ward, serve on http://127.0.0.1:8000
run: install
	$(VENV)/bin/otagai db upgrade
	$(VENV)/bin/otagai demo load
	$(VENV)/bin/otagai serve --host 127.0.0.1 --port 8000

## make test: the whole suite on SQLite and PostgreSQL
test: install services
	$(PY) -m pytest

## The database server the suite needs (already running on this machine kind; started if not).
services:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -n | tail -1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432

## Regenerate the committed SDL (a test fails when it is stale).
schema: install
	$(PY) -m backend.api.schema > graphql/schema.graphql

check: install
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/mypy

bench: install services
	$(PY) bench/sync_push.py

clean:
	rm -rf $(VENV) var
