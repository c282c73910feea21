"""Notices (提醒): mark one or all read, in place with htmx (the whole section comes back, with the
header's badge out of band) or by a plain POST that returns home; and the badge alone, which the
header polls so a new notice shows without a reload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.worklist import notice_matter
from models import Notification, User
from web import forms
from web.reading import reading_count, to_read, todo_of
from web.render import beijing, fragment

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def answer(request: Request, db: AsyncSession, user: User) -> Template | Redirect:
    """After marking read: with htmx the 待阅 section again (and the badge out of band); else home."""
    await db.commit()
    if not request.headers.get("hx-request"):
        return Redirect("/")
    reading = await to_read(db, user, await todo_of(db, user))
    return fragment("home/_toread.html", user, reading=reading, beijing=beijing,
                    nav={"unread": await reading_count(db, user)}, oob=True)


class NoticesController(Controller):
    path = "/notifications"
    include_in_schema = False

    async def _answer(self, request: Request, db: AsyncSession, user: User) -> Template | Redirect:
        return await answer(request, db, user)

    @post("/{note_id:int}/read")
    async def mark_read(self, request: Request, db: AsyncSession, user: User, note_id: int) -> Template | Redirect:
        await db.execute(update(Notification).where(
            col(Notification.id) == note_id, Notification.user_id == user.id,
            col(Notification.read_at).is_(None)).values(read_at=datetime.now(UTC)))
        return await self._answer(request, db, user)

    @post("/read-all")
    async def mark_all_read(self, request: Request, db: AsyncSession, user: User, data: Form) -> Template | Redirect:
        """Those the page showed (up to the newest it listed): one that arrived since stays unread."""
        q = update(Notification).where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
        up_to = forms.number(data, "up_to", "提醒", default=0)
        if up_to:
            q = q.where(col(Notification.id) <= up_to)
        await db.execute(q.values(read_at=datetime.now(UTC)))
        return await self._answer(request, db, user)

    @get("/badge")
    async def badge(self, db: AsyncSession, user: User) -> Template:
        return fragment("_unread_badge.html", user, nav={"unread": await reading_count(db, user)})

    @post("/{note_id:int}/read-matter")
    async def read_matter(self, request: Request, db: AsyncSession, user: User, note_id: int) -> Template | Redirect:
        """Marks read every unread notice of the same case and matter as this one (one 待阅 row)."""
        note = await db.get(Notification, note_id)
        if note is not None and note.user_id == user.id:
            same = notice_matter(note.case_id, note.deadline_id, note.title)
            unread = (await db.execute(select(Notification).where(
                Notification.user_id == user.id, Notification.case_id == note.case_id,
                col(Notification.read_at).is_(None)))).scalars()
            ids = [n.id for n in unread if notice_matter(n.case_id, n.deadline_id, n.title) == same]
            await db.execute(update(Notification).where(col(Notification.id).in_(ids)).values(
                read_at=datetime.now(UTC)))
        return await answer(request, db, user)
