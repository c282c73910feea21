"""The counts of open tasks the navigation shows on every page (who sees which: gongkai.task_store)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.task_store import inbox_branches
from models import Task, User

# gongkai.worklist.task_matter in SQL: a case's 督办 rows count once.
MATTER = case((col(Task.kind).like("escalation:%"), "escalation"),
              (col(Task.kind).like("supervision%"), "supervision"), else_=col(Task.kind))


async def count_open(db: AsyncSession, user: User) -> int:
    """The user's 待办 as the home page lists it: one per case and kind (a case's 督办 rows are one)."""
    total = 0
    for branch in inbox_branches(user):
        matters = branch.with_only_columns(Task.case_id, MATTER).group_by(Task.case_id, MATTER)
        total += (await db.execute(select(func.count()).select_from(matters.subquery()))).scalar_one()
    return total
