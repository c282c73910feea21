"""Real databases for tests: a migrated SQLite file, or a fresh PostgreSQL database when
GONGKAI_TEST_POSTGRES_URL names a server (CI starts one)."""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.database import alembic_config, make_async_engine, make_session_factory, make_sync_engine
from gongkai.settings import load_settings
from shell.seed import seed

POSTGRES_URL = os.environ.get("GONGKAI_TEST_POSTGRES_URL")  # e.g. postgresql://postgres@127.0.0.1/postgres


def backends() -> list[str]:
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@dataclass
class TestDatabase:
    backend: str
    url: str
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    _drop: str | None = None

    def sync_session(self) -> Session:
        return Session(make_sync_engine(_settings_for(self.url)))

    async def close(self) -> None:
        await self.engine.dispose()
        if self._drop and POSTGRES_URL:
            admin = create_engine(_sync(POSTGRES_URL), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._drop}" WITH (FORCE)'))
            admin.dispose()


def _sync(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgres") else url


def _settings_for(url: str):
    os.environ["GONGKAI_DATABASE_URL"] = url
    try:
        return load_settings()
    finally:
        del os.environ["GONGKAI_DATABASE_URL"]


def create_database(backend: str, *, demo: bool = True, revision: str = "head") -> TestDatabase:
    drop = None
    if backend == "postgres":
        name = f"gk_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(_sync(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        drop = name
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='gk-db-')) / 'test.db'}"
    settings = _settings_for(url)
    command.upgrade(alembic_config(settings.sync_database_url), revision)
    if revision == "head":
        sync = make_sync_engine(settings)
        with Session(sync) as session:
            seed(session, demo=demo)
        sync.dispose()
    engine = make_async_engine(settings)
    return TestDatabase(backend, url, engine, make_session_factory(engine), drop)
