"""The counts of open tasks the navigation shows on every page (who sees which: gongkai.task_store)."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import cast

from sqlalchemy import Integer, Select, bindparam, case, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.task_store import inbox_branches
from models import Task, User

# gongkai.worklist.task_matter in SQL: a case's 督办 rows count once.
MATTER = case((col(Task.kind).like("escalation:%"), "escalation"),
              (col(Task.kind).like("supervision%"), "supervision"), else_=col(Task.kind))


@lru_cache(maxsize=64)
def _open_count(role: str) -> Select:
    """count_open's statement for a role: one count of matters per branch, summed. Who the user is
    enters as parameters, so the statement is built once per role: building it cost every page more
    CPU than running it."""
    who = cast(User, SimpleNamespace(id=bindparam("me", type_=Integer), role=role,
                                     department_id=bindparam("my_department", type_=Integer)))
    counts = [select(func.count()).select_from(branch.with_only_columns(col(Task.case_id), MATTER).group_by(
        col(Task.case_id), MATTER).subquery()).scalar_subquery() for branch in inbox_branches(who)]
    total = counts[0]
    for more in counts[1:]:
        total = total + more
    return select(total)


async def count_open(db: AsyncSession, user: User) -> int:
    """The user's 待办 as the home page lists it: one per case and kind (a case's 督办 rows are one)."""
    found = await db.execute(_open_count(user.role), {"me": user.id, "my_department": user.department_id})
    return int(found.scalar_one())
