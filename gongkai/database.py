"""Engines and sessions. The async engine serves the web and the activities; the sync engine
serves Alembic, scripts and the CLI."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.settings import ROOT, Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a write waits for SQLite's lock before it fails


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # web and worker write concurrently
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _ensure_dir(settings: Settings) -> None:
    if settings.is_sqlite:
        path = settings.sync_database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            from pathlib import Path

            from gongkai.varfiles import make_dirs

            make_dirs(Path(path).parent)  # owner-only, as the database file is (its process's umask)


def make_sync_engine(settings: Settings) -> Engine:
    _ensure_dir(settings)
    engine = create_engine(settings.sync_database_url, pool_pre_ping=True)
    if settings.is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_async_engine(settings: Settings, *, writer: bool = False) -> AsyncEngine:
    """`writer`: the worker's engine. On SQLite it keeps one connection, so the worker's
    activities take turns in the pool's queue instead of contending for SQLite's write lock
    (whose busy handler sleeps and retries, which cost more than the writes)."""
    _ensure_dir(settings)
    if settings.is_sqlite:
        kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 120} if writer else {}
    else:
        kwargs = {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}
        if settings.database_parallel_workers >= 0:  # after any options the URL gives, which it would replace
            given = make_url(settings.async_database_url).query.get("options", "")
            workers = f"-c max_parallel_workers_per_gather={settings.database_parallel_workers}"
            kwargs["connect_args"] = {"options": f"{given} {workers}".strip()}
    engine = create_async_engine(settings.async_database_url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@lru_cache(maxsize=1)
def sync_engine() -> Engine:
    return make_sync_engine(get_settings())


def sync_session() -> Session:
    return Session(sync_engine())


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().sync_database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    from alembic import command

    settings = get_settings()
    _ensure_dir(settings)
    command.upgrade(alembic_config(url), "head")
