"""What the web's and the worker's database connections ask of the server: on PostgreSQL no parallel
workers for a query unless the installation says otherwise (GONGKAI_DATABASE_PARALLEL_WORKERS)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from gongkai.database import make_async_engine
from tests.support.database import _settings_for


async def _shown(url: str, workers: int, *names: str) -> list[str]:
    engine = make_async_engine(replace(_settings_for(url), database_parallel_workers=workers))
    try:
        async with engine.connect() as conn:
            return [(await conn.execute(text(f"SHOW {name}"))).scalar_one() for name in names]
    finally:
        await engine.dispose()


async def test_a_query_starts_no_parallel_workers_unless_configured(db):
    if db.backend != "postgres":  # no such setting: SQLite's driver is not given it
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
        return
    workers = "max_parallel_workers_per_gather"
    async with db.engine.connect() as conn:
        assert (await conn.execute(text(f"SHOW {workers}"))).scalar_one() == "0"  # the default setting
    assert await _shown(db.url, 1, workers) == ["1"]
    assert await _shown(db.url, -1, workers) != ["0"]  # the server's own (PostgreSQL ships 2)
    # Options the URL gives are kept beside it.
    url = db.url + ("&" if "?" in db.url else "?") + "options=-c%20work_mem%3D7MB"
    assert await _shown(url, 0, workers, "work_mem") == ["0", "7MB"]
