from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests' own settings: the published development secret is accepted only here.
os.environ.setdefault("GONGKAI_ENV", "test")

from gongkai.logs import configure_logging
from tests.support import processes
from tests.support.database import backends, create_database

configure_logging("WARNING", "console")
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    """Every test stops every process it starts. The session is a child subreaper, so a process
    whose parent was stopped (a Temporal server under a killed wrapper, the worker of a killed
    `gongkai run`) comes back to it instead of to init: what is still running under it at the end
    was left behind. It is stopped, and the session fails. (Only this session's processes count:
    other test runs on the same machine are not ours to blame or to stop.)"""
    processes.become_subreaper()
    yield
    left = processes.leftovers(os.getpid())
    processes.stop(left)
    assert not left, "processes the tests started and did not stop: " + "; ".join(map(str, left))


@pytest.fixture(params=backends())
async def db(request):
    database = create_database(request.param)
    yield database
    await database.close()


def pytest_collection_modifyitems(config, items) -> None:
    """Markers by where a test runs: `faults` for tests/faults, `postgres` for the PostgreSQL backend
    (browser and slow tests say so themselves). `make check` leaves these out; `make test` runs all."""
    for item in items:
        if (HERE / "faults") in Path(item.path).parents:
            item.add_marker(pytest.mark.faults)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in callspec.params.values():
            item.add_marker(pytest.mark.postgres)
