# The two commands of the quick start are `make dev` and `make test`; both
# create the virtual environment and install the project by themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: dev test test-calendar bench lint fmt schema clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev,otel]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/mychangsha dev

# The whole suite, then the date-sensitive tests once more at 23:59:30 in Changsha.
test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m tests.calendar_sweep --short -- -q

# The date-sensitive tests at every point of the calendar (tests/calendar_sweep.py): each
# weekday, both sides of midnight in Changsha and in UTC, New Year's Eve.
test-calendar: $(STAMP)
	$(BIN)/python -m tests.calendar_sweep -- -q

# The graph under load against its baselines (docs/performance.md); needs wrk (Debian).
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 2; }
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

schema: $(STAMP)
	$(BIN)/mychangsha export-schema > schema.graphql

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
