"""Idempotent writes shared by the activities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_once(session: AsyncSession, row) -> bool:
    """Insert a keyed row unless it exists: one INSERT … ON CONFLICT (key) DO NOTHING, safe against
    retries and concurrent duplicates. True when this call inserted it."""
    table = type(row).__table__
    values = {c.name: getattr(row, c.name) for c in table.columns
              if not (c.primary_key and getattr(row, c.name) is None)}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    return result.rowcount == 1


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
    return result.rowcount > 0


async def sync_stage_tasks(session: AsyncSession, case_id: str, workflow_id: str, process: str, tasks: list,
                           at: datetime | None) -> None:
    """Make a case's open stage tasks exactly `tasks` (TaskSpec): close the others, add the new."""
    from models import Task

    wanted = {t.key for t in tasks}
    await session.execute(update(Task).where(
        Task.case_id == case_id, Task.status == "open", Task.kind.like("stage:%"),
        Task.key.not_in(wanted) if wanted else Task.id.is_not(None),
    ).values(status="done", closed_at=at))
    for t in tasks:
        existing = (await session.execute(select(Task).where(Task.key == t.key))).scalar_one_or_none()
        if existing is None:
            await insert_once(session, Task(
                key=t.key, case_id=case_id, workflow_id=workflow_id, process=process, kind=t.kind, title=t.title,
                department_id=t.department_id, role=t.role, assignee_id=t.assignee_id, deadline_id=t.deadline_id,
                due_at=t.due_at,
            ))
        else:  # still wanted: current assignment and due, and open again if something closed it
            existing.assignee_id, existing.department_id, existing.due_at = t.assignee_id, t.department_id, t.due_at
            if existing.status != "open":
                existing.status, existing.closed_at = "open", None
