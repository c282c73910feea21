# Gongkai: `make run` sets everything up and runs the whole system; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup system-deps lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/gongkai run

# Installs what the tests need from Debian (chromium, faketime, PostgreSQL), starts a throwaway
# PostgreSQL, and runs the whole suite on SQLite and PostgreSQL.
test: setup
	bash scripts/test.sh

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf var .pytest_cache .hypothesis
