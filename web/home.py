"""The home page: the user's open tasks and unread notifications."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, get
from litestar.response import Template
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Department, Notification, Task, User
from web.render import beijing, page
from web.tasks import inbox_branches


class HomeController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, db: AsyncSession, user: User) -> Template:
        tasks: list = []
        for branch in inbox_branches(user):
            tasks += (await db.execute(branch.order_by(Task.due_at).limit(20))).scalars()
        latest = datetime.max.replace(tzinfo=UTC)
        tasks = sorted(tasks, key=lambda t: (t.due_at is None, t.due_at or latest))[:20]
        notes = list((await db.execute(select(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)).order_by(
            Notification.created_at.desc()).limit(50))).scalars())
        department = await db.get(Department, user.department_id)
        return await page("home.html", db, user, tasks=tasks, notifications=notes, department=department,
                          beijing=beijing)
