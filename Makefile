# Two commands for a fresh machine with Python 3.11: `make demo` and `make test`.
LINT_PATHS := src tests $(wildcard benchmarks scripts)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo's extras: [demo] trains its model, [web] serves it in the browser (PDF: WeasyPrint or
# Chromium when installed, else HTML and Markdown only, as the demo says).
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo,web]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/assay demo

test: $(VENV)/.dev-installed
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy --strict src/
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy --strict src/

format: $(VENV)/.dev-installed
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/fairness_vs_fairlearn.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache assay-demo
