"""Idempotent writes shared by the activities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from models import LetterCounter, Task  # noqa: F401 (registers the tables)
from models.base import utcnow

TASKS = SQLModel.metadata.tables["task"]
LETTER_COUNTERS = SQLModel.metadata.tables["letter_counter"]


def _insert(session: AsyncSession):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_once(session: AsyncSession, row, on: str = "key") -> bool:
    """Insert a keyed row unless it exists: one INSERT … ON CONFLICT (`on`) DO NOTHING, safe against
    retries and concurrent duplicates. True when this call inserted it."""
    table = type(row).__table__
    values = {c.name: getattr(row, c.name) for c in table.columns
              if not (c.primary_key and getattr(row, c.name) is None)}
    # RETURNING, not rowcount: SQLAlchemy promises rowcount for UPDATE and DELETE only, and on
    # PostgreSQL (psycopg) an INSERT's is -1, which made every insert look like a duplicate.
    statement = _statement(session, ("insert_once", table.name, on, tuple(values)), lambda: _insert(session)(table)
                           .on_conflict_do_nothing(index_elements=[on]).returning(table.c[on]))
    result = await session.execute(statement, values)
    return result.first() is not None


_STATEMENTS: dict[tuple, Any] = {}


def _statement(session: AsyncSession, key: tuple, build: Callable[[], Any]) -> Any:
    """A statement of a fixed shape, built once and executed with its values as parameters: building
    and hashing a statement costs more CPU than running it, on the hot path of every step."""
    key = (session.get_bind().dialect.name, *key)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


async def next_letter_number(session: AsyncSession, agency_code: str, year: int, kind: str) -> int:
    """The next 文号 number of a series, in the caller's transaction: one INSERT … ON CONFLICT DO
    UPDATE … RETURNING, so concurrent issuers queue on the counter's row (PostgreSQL) or on the
    one writer (SQLite) and get consecutive numbers; a transaction that rolls back gives its
    number back, so the series has no gaps."""
    table = LETTER_COUNTERS
    insert = _insert(session)(table).values(agency_code=agency_code, year=year, kind=kind, value=1)
    bump = insert.on_conflict_do_update(index_elements=["agency_code", "year", "kind"],
                                        set_={"value": table.c.value + 1}).returning(table.c.value)
    return (await session.execute(bump)).scalar_one()


async def update_if_older(session: AsyncSession, model, key: str, version: int, values: dict) -> bool:
    """Write `values` and `version` to the row `key` if its version is older, and say so: one
    conditional UPDATE, decided under the row's lock, so a stale attempt can never roll the row
    back (see lock_if_older). False for a retry, an overtaken state or a missing row."""
    table = model.__table__
    names = tuple(values)
    statement = _statement(session, ("update_if_older", table.name, names), lambda: update(table).where(
        table.c.id == bindparam("_key"), table.c.version < bindparam("_version")).values(
        {**{n: bindparam(f"_v_{n}") for n in names}, "version": bindparam("_version")}))
    result = await session.execute(statement, {"_key": key, "_version": version,
                                               **{f"_v_{n}": v for n, v in values.items()}})
    return cast(CursorResult, result).rowcount > 0


async def lock_if_older(session: AsyncSession, model, key: str, version: int) -> bool:
    """Take the write lock of the row `key` if its version is older than `version`, and say so.

    A projection reads the row, compares versions and writes. An attempt that outlived its timeout
    (waiting for a locked or unavailable database) runs on while its retry and the workflow's next
    projection land; if it compared before they committed and wrote after, it rolled the row back.
    Compared inside a conditional UPDATE, under the row's lock (PostgreSQL re-checks the condition
    after waiting; SQLite has one writer), the decision can no longer go stale: the caller then
    reads the row again and writes within the same transaction."""
    result = await session.execute(update(model).where(model.id == key, model.version < version)
                                   .values(version=model.version).execution_options(synchronize_session=False))
    return cast(CursorResult, result).rowcount > 0


async def sync_stage_tasks(session: AsyncSession, case_id: str, workflow_id: str, process: str, tasks: list,
                           at: datetime | None) -> None:
    """Make a case's open stage tasks exactly `tasks` (TaskSpec): close the others, add the new; a
    task still wanted keeps its row, takes the current assignment and due, and is open again if
    something closed it. Two statements whatever the number of tasks."""
    table = TASKS
    close = update(table).where(table.c.case_id == case_id, table.c.status == "open", table.c.kind.like("stage:%"))
    if tasks:
        close = close.where(table.c.key.not_in([t.key for t in tasks]))
    await session.execute(close.values(status="done", closed_at=at))
    if not tasks:
        return
    created = utcnow()
    insert = _insert(session)(table).values([
        {"key": t.key, "case_id": case_id, "workflow_id": workflow_id, "process": process, "kind": t.kind,
         "title": t.title, "department_id": t.department_id, "role": t.role, "assignee_id": t.assignee_id,
         "deadline_id": t.deadline_id, "due_at": t.due_at, "status": "open", "created_at": created,
         "closed_at": None} for t in tasks])
    await session.execute(insert.on_conflict_do_update(index_elements=["key"], set_={
        "assignee_id": insert.excluded.assignee_id, "department_id": insert.excluded.department_id,
        "due_at": insert.excluded.due_at, "status": "open", "closed_at": None}))
