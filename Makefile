# Gongkai: `make run` sets everything up and runs the whole system; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FAST := not browser and not faults and not postgres and not slow

.PHONY: run test check fast lint types setup lock bench clean

# Installs exactly the versions in requirements.lock (hashes checked), then the project itself.
$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/.installed

run: setup
	bash scripts/install-system-deps.sh run
	$(BIN)/gongkai run

# Installs what the tests need from Debian (chromium, faketime, PostgreSQL), starts a throwaway
# PostgreSQL, and runs the whole suite on SQLite and PostgreSQL.
test: setup
	bash scripts/test.sh

# Lint, types and the fast tests (SQLite, no browser, no fault injection), in a few minutes.
check: lint types fast

fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "$(FAST)"

lint: setup
	$(BIN)/ruff check .

types: setup
	$(BIN)/basedpyright --project pyproject.toml

# Re-resolves the pinned versions (after a change to pyproject.toml's dependencies).
lock: setup
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf var .pytest_cache .hypothesis
