"""The home page: the user's 待办 (what waits for them to act) and 待阅 (what they are told), one
row per case and matter."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, get
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.worklist import Matter, fold, task_matter, widens_to
from models import Department, Task, User
from web.reading import to_read
from web.render import beijing, page
from web.tasks import inbox_branches


async def todo_of(db: AsyncSession, user: User) -> list[Matter[Task]]:
    """待办: the open tasks addressed to the person, one row per case and matter, soonest first."""
    tasks: list[Task] = []
    for branch in inbox_branches(user):
        tasks += (await db.execute(branch.order_by(Task.due_at).limit(100))).scalars()
    latest = datetime.max.replace(tzinfo=UTC)
    tasks = sorted(tasks, key=lambda t: (t.due_at is None, t.due_at or latest, t.id))
    return fold(tasks, lambda t: task_matter(t.case_id, t.kind))[:20]


class HomeController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, db: AsyncSession, user: User) -> Template:
        todo = await todo_of(db, user)
        department = await db.get(Department, user.department_id)
        return await page("home.html", db, user, todo=todo, reading=await to_read(db, user, todo),
                          department=department, beijing=beijing, widens=widens_to(user.role))
