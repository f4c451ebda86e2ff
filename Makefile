# The two commands of the quick start are `make dev` and `make test`; both
# create the virtual environment and install the project by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: dev test lint fmt schema clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/mychangsha dev

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

schema: $(STAMP)
	$(BIN)/mychangsha export-schema > schema.graphql

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
