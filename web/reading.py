"""待阅: what a person is told (reminders, escalation copies, notices for information), one row per
case and matter, leaving out what their 待办 already holds."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.worklist import Matter, fold, notice_matter
from models import Notification, Task, User

LIMIT = 200  # unread notices read to fold; the page shows the first 50 matters


async def to_read(db: AsyncSession, user: User, todo: list[Matter[Task]]) -> list[Matter[Notification]]:
    notes = (await db.execute(select(Notification).where(
        Notification.user_id == user.id, col(Notification.read_at).is_(None)).order_by(
        col(Notification.created_at).desc(), col(Notification.id).desc()).limit(LIMIT))).scalars()
    # A reminder about a clock the person already has to act on is that task's copy: not a second row.
    # Notices that name no clock (a draft returned, an extension decided, a 督办) are news, always shown.
    acting = {(m.first.case_id, m.first.deadline_id) for m in todo if m.first.deadline_id}
    kept = [n for n in notes if not n.deadline_id or (n.case_id, n.deadline_id) not in acting]
    return fold(kept, lambda n: notice_matter(n.case_id, n.deadline_id, n.title))[:50]
