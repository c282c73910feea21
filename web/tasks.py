"""Which open tasks a person sees, and the counts the navigation shows on every page."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.roles import WIDE_ROLES, Role
from models import Notification, Task, User


def inbox_branches(user: User, department: int | None = None) -> list[Select]:
    """The open tasks a user sees, as disjoint queries that each follow one index in due order
    (an OR across them would scan every open task)."""
    base = select(Task).where(Task.status == "open")
    if user.role in WIDE_ROLES:
        return [base.where(Task.department_id == department) if department else base]
    if user.role == Role.DEPT_HEAD:
        return [base.where(Task.department_id == user.department_id),
                base.where(Task.assignee_id == user.id, Task.department_id != user.department_id)]
    return [
        base.where(Task.assignee_id == user.id),
        base.where(Task.department_id == user.department_id, col(Task.assignee_id).is_(None),
                   or_(col(Task.role).is_(None), Task.role == user.role)),
        base.where(col(Task.department_id).is_(None), col(Task.assignee_id).is_(None), Task.role == user.role),
    ]


async def count_open(db: AsyncSession, user: User) -> int:
    total = 0
    for branch in inbox_branches(user):
        total += (await db.execute(select(func.count()).select_from(branch.subquery()))).scalar_one()
    return total


async def nav_counts(db: AsyncSession, user: User) -> dict[str, int]:
    unread = (await db.execute(select(func.count(col(Notification.id))).where(
        Notification.user_id == user.id, col(Notification.read_at).is_(None)))).scalar_one()
    return {"tasks": await count_open(db, user), "unread": unread}
