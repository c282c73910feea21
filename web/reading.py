"""A person's day as the home page and the header show it: 待办 (the open tasks addressed to them)
and 待阅 (what they are told: reminders, escalation copies, news of their cases), each one row per
case and matter; 待阅 leaves out what their 待办 already holds. The header's counts are these rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Select, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.worklist import Matter, fold, notice_matter, task_matter
from models import Notification, Task, User
from web.tasks import count_open, inbox_branches

LIMIT = 200  # unread notices read to fold; the page shows the first 50 matters
SHOWN = 50


async def todo_of(db: AsyncSession, user: User) -> list[Matter[Task]]:
    """待办: the open tasks addressed to the person, one row per case and matter, soonest first."""
    tasks: list[Task] = []
    for branch in inbox_branches(user):
        tasks += (await db.execute(branch.order_by(Task.due_at).limit(100))).scalars()
    latest = datetime.max.replace(tzinfo=UTC)
    tasks = sorted(tasks, key=lambda t: (t.due_at is None, t.due_at or latest, t.id))
    return fold(tasks, lambda t: task_matter(t.case_id, t.kind))[:20]


class Notice(Protocol):
    """What folding a notice reads of it: a Notification, or a row of these columns alone."""

    @property
    def case_id(self) -> str: ...
    @property
    def deadline_id(self) -> str | None: ...
    @property
    def title(self) -> str: ...


N = TypeVar("N", bound=Notice)


def _unread(user: User, *what: Any) -> Select:
    return select(*what).where(Notification.user_id == user.id, col(Notification.read_at).is_(None)).order_by(
        col(Notification.created_at).desc(), col(Notification.id).desc()).limit(LIMIT)


def _matters(notes: Sequence[N], todo: list[Matter[Task]], shown: int | None) -> list[Matter[N]]:
    # A reminder about a clock the person already has to act on is that task's copy: not a second row.
    # Notices that name no clock (a draft returned, an extension decided, a 督办) are news, always shown.
    acting = {(m.first.case_id, m.first.deadline_id) for m in todo if m.first.deadline_id}
    kept = [n for n in notes if not n.deadline_id or (n.case_id, n.deadline_id) not in acting]
    return fold(kept, lambda n: notice_matter(n.case_id, n.deadline_id, n.title))[:shown]


async def to_read(db: AsyncSession, user: User, todo: list[Matter[Task]],
                  shown: int | None = SHOWN) -> list[Matter[Notification]]:
    return _matters(list((await db.execute(_unread(user, Notification))).scalars()), todo, shown)


async def reading_count(db: AsyncSession, user: User) -> int:
    """The header's 待阅 count: the rows the home page's 待阅 holds (not the notices folded into them).
    Every page shows it: the 待办 it is compared with is read only when a notice names a clock."""
    # The columns the fold reads, not objects: a supervisor may have a couple of hundred unread copies.
    notes = cast(Sequence[Notice], (await db.execute(_unread(
        user, col(Notification.case_id), col(Notification.deadline_id), col(Notification.title)))).all())
    todo = await todo_of(db, user) if any(n.deadline_id for n in notes) else []
    return len(_matters(notes, todo, None))


async def nav_counts(db: AsyncSession, user: User) -> dict[str, int]:
    return {"tasks": await count_open(db, user), "unread": await reading_count(db, user)}
