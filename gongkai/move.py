"""Moving an installation's application database from SQLite to PostgreSQL (`gongkai move-database
URL`): when a county's installation grows into a city's or a province's (README, "When to move to
PostgreSQL").

The target is a new, empty PostgreSQL database. It is migrated to the same revision as the source
(which must be at head: `gongkai migrate` first), emptied of anything the migrations wrote (the
source holds the same, as its own migrations wrote it), then every table is copied in the order of
its foreign keys, row by row through the models' column types (JSON, UTC instants, booleans), and
each identity sequence is set past the largest id copied. The copy is checked by counting each
table on both sides. Run it with everything stopped: a row written during the copy could be missed.

Temporal's state is not in the application database: the workflows keep running on the same
Temporal (the embedded one's var/temporal.db, or an external cluster) and find their rows in the new
database, where reconciliation finds nothing to repair."""

from __future__ import annotations

import dataclasses

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Integer, func, inspect, select, text
from sqlmodel import SQLModel

import models  # noqa: F401  (every table in the metadata)
from gongkai.database import alembic_config, make_sync_engine
from gongkai.errors import Conflict, InvalidInput
from gongkai.settings import Settings

BATCH = 2000


def move(settings: Settings, target_url: str) -> dict[str, int]:
    """Copies the application database to `target_url`; returns the rows copied per table."""
    if not settings.is_sqlite:
        raise InvalidInput("应用数据库已经是 PostgreSQL (the application database is not SQLite: nothing to move)")
    if not target_url.startswith(("postgresql://", "postgres://", "postgresql+")):
        raise InvalidInput("目标须为 PostgreSQL 数据库地址 postgresql://… (the target must be a PostgreSQL URL)")
    target_settings = dataclasses.replace(settings, database_url=target_url)
    source, target = make_sync_engine(settings), make_sync_engine(target_settings)
    try:
        head = ScriptDirectory.from_config(alembic_config(settings.sync_database_url)).get_current_head()
        with source.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        if revision != head:
            raise Conflict(f"源数据库版本 {revision} 不是最新 {head}，请先运行 gongkai migrate "
                           "(migrate the source first)")
        if inspect(target).get_table_names():
            raise Conflict("目标数据库不是空的：请新建一个空数据库 (the target database is not empty)")
        command.upgrade(alembic_config(target_settings.sync_database_url), "head")
        tables = SQLModel.metadata.sorted_tables
        copied: dict[str, int] = {}
        with source.connect() as read, target.begin() as write:
            write.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            for table in tables:
                copied[table.name] = 0
                result = read.execution_options(stream_results=True).execute(select(table))
                for rows in result.mappings().partitions(BATCH):
                    write.execute(table.insert(), [dict(r) for r in rows])
                    copied[table.name] += len(rows)
                for column in table.primary_key.columns:
                    if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                        write.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                            f"coalesce((SELECT max(\"{column.name}\") FROM \"{table.name}\"), 0) + 1, false)"))
        with source.connect() as a, target.connect() as b:
            for table in tables:
                count = select(func.count()).select_from(table)
                there = b.execute(count).scalar_one()
                if there != copied[table.name] or a.execute(count).scalar_one() != there:
                    raise Conflict(f"{table.name}: 行数不一致 (row counts differ after the copy)")
        return copied
    finally:
        source.dispose()
        target.dispose()
