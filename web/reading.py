"""待阅: what a person is told (reminders, escalation copies, notices for information), one row per
case and matter, leaving out what their 待办 already holds; read together, a matter at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, post
from litestar.response import Redirect
from sqlalchemy import select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.worklist import Matter, fold, notice_matter
from models import Notification, Task, User

LIMIT = 200  # unread notices read to fold; the page shows the first 50 matters


async def to_read(db: AsyncSession, user: User, todo: list[Matter[Task]]) -> list[Matter[Notification]]:
    notes = (await db.execute(select(Notification).where(
        Notification.user_id == user.id, col(Notification.read_at).is_(None)).order_by(
        col(Notification.created_at).desc(), col(Notification.id).desc()).limit(LIMIT))).scalars()
    # A notice about a clock (or a case, when it names none) the person already has to act on is
    # that task's copy: it is not a second row.
    acting = {(m.first.case_id, t) for m in todo for t in (m.first.deadline_id, None)}
    kept = [n for n in notes if (n.case_id, n.deadline_id) not in acting]
    return fold(kept, lambda n: notice_matter(n.case_id, n.deadline_id, n.title))[:50]


class ReadingController(Controller):
    include_in_schema = False

    @post("/notifications/{note_id:int}/read-matter")
    async def read_matter(self, db: AsyncSession, user: User, note_id: int) -> Redirect:
        """Marks read every unread notice of the same case and matter as this one."""
        note = await db.get(Notification, note_id)
        if note is not None and note.user_id == user.id:
            same = notice_matter(note.case_id, note.deadline_id, note.title)
            unread = (await db.execute(select(Notification).where(
                Notification.user_id == user.id, Notification.case_id == note.case_id,
                col(Notification.read_at).is_(None)))).scalars()
            ids = [n.id for n in unread if notice_matter(n.case_id, n.deadline_id, n.title) == same]
            await db.execute(update(Notification).where(col(Notification.id).in_(ids)).values(
                read_at=datetime.now(UTC)))
            await db.commit()
        return Redirect("/")
