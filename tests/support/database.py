"""Real databases for tests: a migrated SQLite file, or a fresh PostgreSQL database when
GONGKAI_TEST_POSTGRES_URL names a server (CI starts one).

Migrating and seeding takes most of a second; a test's database is instead a copy of a template
migrated and seeded once per test session (a file copy on SQLite, CREATE DATABASE … TEMPLATE on
PostgreSQL). A database at another revision is migrated on its own."""

from __future__ import annotations

import atexit
import os
import shutil
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
    _drop: str | None = None  # its name on PostgreSQL, or its folder on SQLite: removed on close

    def sync_session(self) -> Session:
        return Session(make_sync_engine(_settings_for(self.url)))

    async def close(self) -> None:
        await self.engine.dispose()
        if self._drop and self.backend == "sqlite":
            shutil.rmtree(self._drop, ignore_errors=True)
        elif self._drop and POSTGRES_URL:
            _admin(f'DROP DATABASE IF EXISTS "{self._drop}" WITH (FORCE)')


def _sync(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgres") else url


def _settings_for(url: str):
    os.environ["GONGKAI_DATABASE_URL"] = url
    try:
        return load_settings()
    finally:
        del os.environ["GONGKAI_DATABASE_URL"]


def _admin(sql: str) -> None:
    assert POSTGRES_URL
    admin = create_engine(_sync(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def _new_url(backend: str, template: str | None = None) -> tuple[str, str | None]:
    """A new empty database (or a copy of `template`): its URL, and what to drop when done (its
    name on PostgreSQL, its folder on SQLite)."""
    if backend == "postgres":
        assert POSTGRES_URL
        name = f"gk_test_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name, name
    path = Path(tempfile.mkdtemp(prefix="gk-db-")) / "test.db"
    if template:
        shutil.copyfile(template, path)
    return f"sqlite:///{path}", str(path.parent)


def _migrate(url: str, revision: str, demo: bool) -> None:
    settings = _settings_for(url)
    command.upgrade(alembic_config(settings.sync_database_url), revision)
    if revision == "head":
        sync = make_sync_engine(settings)
        with Session(sync) as session:
            seed(session, demo=demo)
        if settings.is_sqlite:
            with sync.connect() as conn:  # everything in the main file, so a copy of it is whole
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        sync.dispose()


_TEMPLATES: dict[tuple[str, bool], str] = {}  # (backend, demo): the template's file or database name


def _template(backend: str, demo: bool) -> str:
    if (backend, demo) not in _TEMPLATES:
        url, drop = _new_url(backend)
        _migrate(url, "head", demo)
        if backend == "postgres":
            _TEMPLATES[backend, demo] = drop
            atexit.register(_admin, f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
        else:
            _TEMPLATES[backend, demo] = url.removeprefix("sqlite:///")
            atexit.register(shutil.rmtree, drop, True)
    return _TEMPLATES[backend, demo]


def create_database(backend: str, *, demo: bool = True, revision: str = "head") -> TestDatabase:
    if revision == "head":
        url, drop = _new_url(backend, _template(backend, demo))
    else:
        url, drop = _new_url(backend)
        _migrate(url, revision, demo)
    engine = make_async_engine(_settings_for(url))
    return TestDatabase(backend, url, engine, make_session_factory(engine), drop)


def existing_database(url: str) -> TestDatabase:
    """A database that outlives the run (a benchmark's kept data): migrated and seeded, never dropped."""
    _migrate(url, "head", demo=True)
    engine = make_async_engine(_settings_for(url))
    return TestDatabase("sqlite" if url.startswith("sqlite") else "postgres", url, engine, make_session_factory(engine))
