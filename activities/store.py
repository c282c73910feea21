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
        elif existing.status == "open":
            existing.assignee_id, existing.department_id, existing.due_at = t.assignee_id, t.department_id, t.due_at
