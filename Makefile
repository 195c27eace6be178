# The set-up commands of the README: `make run`, `make test` and `make lint`; each creates the
# environment with everything (`.[dev]`: every extra and the test tools) if needed.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

run: $(VENV)/.installed  ## create the environment if needed, run the default scenario
	$(BIN)/solidarity-sim run baseline --out results/baseline

test: $(VENV)/.installed  ## create/reuse the environment, run the whole test suite
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: $(VENV)/.installed  ## ruff, then the import contracts of pyproject.toml (import-linter)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-logo

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .venv312 results .pytest_cache .hypothesis .import_linter_cache
