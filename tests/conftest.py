from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The tests' own settings: the published development secret is accepted only here.
os.environ.setdefault("GONGKAI_ENV", "test")

from gongkai.logs import configure_logging
from tests.support.database import backends, create_database

configure_logging("WARNING", "console")
HERE = Path(__file__).resolve().parent


def orphans() -> set[int]:
    """Processes run from this virtualenv that lost their parent: a test started them and left them."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == 1 and command.startswith(sys.prefix):
            found.add(int(proc.name))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    before = orphans()
    yield
    left = orphans() - before
    assert not left, f"processes the tests started and did not stop: {sorted(left)}"


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
