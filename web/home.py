"""The home page: the user's 待办 (what waits for them to act) and 待阅 (what they are told), one
row per case and matter."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.worklist import widens_to
from models import Department, User
from web.reading import to_read, todo_of
from web.render import beijing, page


class HomeController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, db: AsyncSession, user: User) -> Template:
        todo = await todo_of(db, user)
        department = await db.get(Department, user.department_id)
        return await page("home.html", db, user, todo=todo, reading=await to_read(db, user, todo),
                          department=department, beijing=beijing, widens=widens_to(user.role))
