from __future__ import annotations

import pytest

from gongkai.logs import configure_logging
from tests.support.database import backends, create_database

configure_logging("WARNING", "console")


@pytest.fixture(params=backends())
async def db(request):
    database = create_database(request.param)
    yield database
    await database.close()
