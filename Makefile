# Two commands matter: `make run` (demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck check migrate demo bench screenshots check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

migrate: $(VENV)/.run-installed
	$(BIN)/regulars migrate

demo: migrate
	$(BIN)/regulars demo --url http://$(HOST):$(PORT)

run: demo
	$(BIN)/regulars serve --host $(HOST) --port $(PORT)

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

check: lint typecheck test

screenshots: $(VENV)/.test-installed  # the README's pictures, from the browser tests
	REGULARS_SCREENSHOTS=docs $(BIN)/python -m pytest -m browser -k sqlite $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

bench: $(VENV)/.test-installed
	@for f in bench/*.py; do [ $$f = bench/ab.py ] && continue; echo "== $$f"; $(BIN)/python $$f || exit 1; done
