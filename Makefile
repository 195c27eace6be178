# The two set-up commands of the README: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

run: $(VENV)/.installed  ## create the environment if needed, run the default scenario
	$(BIN)/solidarity-sim run baseline --out results/baseline

test: $(VENV)/.installed  ## create/reuse the environment, run the whole test suite
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .venv312 results .pytest_cache .hypothesis
