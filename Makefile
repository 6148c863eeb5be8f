# One entry point for humans and CI.  `make test` installs what it needs first.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test check lint typecheck unit integration e2e fuzz-api demo shell clean

# The suite runs in parallel (pytest-xdist): each worker process has its own Postgres and
# Redis databases.  Most end-to-end time is waiting for real processes, so more workers
# than cores pays; at most 7 (Redis databases 9-15).
WORKERS ?= 4
# Bytecode is written and reused (an environment may say PYTHONDONTWRITEBYTECODE=1): the
# suite starts a hundred Python processes, and pytest's rewritten test modules are cached.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(WORKERS) --dist loadgroup

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# (an editable install with migrations/ mapped into the package is a "meta path finder"
	# one; setuptools says so in a long notice that is no use to anyone here)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(PYTEST) --durations=15

# The inner loop: lint, types, unit and integration tests (no processes started).
check: install lint typecheck
	$(PYTEST) tests/unit tests/integration

unit: install
	$(PYTEST) tests/unit

integration: install
	$(PYTEST) tests/integration

e2e: install
	$(PYTEST) tests/e2e

# schemathesis against the OpenAPI schema: no 5xx for anything the schema allows.
fuzz-api: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-25} $(BIN)/pytest -q tests/e2e/test_api_process.py -k schemathesis

# make demo ARGS="--keep --speed 4" passes options (pregonero demo --help lists them).
demo: install
	$(BIN)/pregonero demo $(ARGS)

# A shell with the environment active: `pregonero`, `celery` and the tests on PATH.
shell: install
	@echo "The environment is active (exit leaves it)."
	@bash --rcfile $(VENV)/bin/activate -i

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
