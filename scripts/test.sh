#!/usr/bin/env bash
# The whole test suite: SQLite and a real PostgreSQL, real Temporal servers, a real browser.
# It runs under a guard (tests/support/processes.py) that counts the Temporal, Gongkai, PostgreSQL
# and chromium processes before and after, and fails the run if it left any of its own running.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GONGKAI_TEST_RUN:-}" ]; then  # the guard sets it for the run it starts: this script again
  exec .venv/bin/python -m tests.support.processes guard -- bash scripts/test.sh "$@"
fi
bash scripts/install-system-deps.sh
pgdir=$(mktemp -d /tmp/gk-pg.XXXXXX)
port=${GONGKAI_TEST_PG_PORT:-55432}
bash scripts/postgres.sh start "$pgdir" "$port"
trap 'bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
export GONGKAI_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
