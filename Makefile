# Beatbook's task runner. `make demo` and `make test` are the two set-up commands.
SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := .venv/bin
DEMO_ENV := DEBUG=true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test test-postgres lint format clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# Installs Python dependencies from uv.lock and front-end packages from package-lock.json,
# then compiles the stylesheet.
install: $(UV)
	$(UV) sync --frozen --quiet
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

demo: install
	$(DEMO_ENV) $(BIN)/beatbook demo
	$(DEMO_ENV) $(BIN)/beatbook runserver $(HOST):$(PORT)

serve:
	$(DEMO_ENV) $(BIN)/beatbook runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: $(UV)
	$(UV) sync --frozen --quiet
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf build staticfiles .pytest_cache .mypy_cache
