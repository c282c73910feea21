from __future__ import annotations

from pathlib import Path

import pytest

from gongkai.logs import configure_logging
from tests.support.database import backends, create_database

configure_logging("WARNING", "console")
HERE = Path(__file__).resolve().parent


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
