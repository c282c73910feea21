"""The supervisors' board: every open deadline, across departments and processes, that is overdue
or due within N working days, grouped by department, with the escalation level reached."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, end_of_day, shift_working_days
from gongkai.explain import span_zh
from gongkai.incident import countdown_zh, hour_urgency
from gongkai.roles import Role
from models import Deadline, Department, User
from web import forms
from web.guards import oversight_only
from web.inbox import PROCESS_ZH, urgency
from web.publication import titles_of
from web.render import beijing, page

BOARD_PAGE = 100  # the most urgent first; each department's heading gives its total


CLOSED_FRESH = 30.0  # seconds the year's met and late counts are reused for (the board refreshes every 60)
_closed: dict[tuple[str, int], tuple[float, dict[str, int]]] = {}  # (database, year) -> (when, {state: count})


# The board's statements are built once, the instants, the department and the page as parameters
# (as the register's and the header's are). count(*) so the (state, due_at) index answers without
# reading the rows.
_OPEN = select(func.count()).select_from(Deadline).where(col(Deadline.state).in_(("running", "paused")))
_OVERDUE = select(func.count()).select_from(Deadline).where(
    Deadline.state == "running", col(Deadline.due_at) < bindparam("now"))
_CLOSED = select(Deadline.state, func.count()).where(
    col(Deadline.state).in_(("met", "late")), col(Deadline.closed_at) >= bindparam("start"),
    col(Deadline.closed_at) < bindparam("end")).group_by(Deadline.state)
_DEPARTMENTS = select(Department).order_by(col(Department.id))
_COLUMNS = (Deadline.id, Deadline.case_id, Deadline.process, Deadline.label, Deadline.due_at,
            Deadline.provisional, Deadline.level, Deadline.department_id, Deadline.assignee_id)


@lru_cache(maxsize=2)
def _shown(one_department: bool) -> tuple[Select, Select]:
    """The running clocks due by the parameter `horizon` (of the parameter `department`): their count
    by department, and a page of them (`limit`, `offset`) in due order."""
    shown = [Deadline.state == "running", col(Deadline.due_at) <= bindparam("horizon")]
    if one_department:
        shown.append(Deadline.department_id == bindparam("department"))
    return (select(Deadline.department_id, func.count()).where(*shown).group_by(Deadline.department_id),
            select(*_COLUMNS).where(*shown).order_by(Deadline.due_at, Deadline.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


async def year_counts(db: AsyncSession, year: int) -> dict[str, int]:
    """The year's open, overdue, met and late clocks. Open and overdue are counted afresh from the
    open clocks' index (100,000 at a province's scale: 7.5 and 3 ms); met and late read a year's closed
    clocks (190,000 at a prefecture's scale, 30 ms), so this process reuses them for half a minute."""
    start = datetime(year, 1, 1, tzinfo=CST)
    end = datetime(year + 1, 1, 1, tzinfo=CST)
    open_ = (await db.execute(_OPEN)).scalar_one()
    overdue = (await db.execute(_OVERDUE, {"now": datetime.now(CST)})).scalar_one()
    key = (str(db.bind.url), year)
    counted_at, closed = _closed.get(key, (0.0, {}))
    if time.monotonic() - counted_at > CLOSED_FRESH:
        closed = dict((await db.execute(_CLOSED, {"start": start, "end": end})).all())
        _closed[key] = (time.monotonic(), closed)
    return {"open": open_, "overdue": overdue, "met": closed.get("met", 0), "late": closed.get("late", 0)}


async def _year_counts_apart(session_factory: async_sessionmaker[AsyncSession], year: int) -> dict[str, int]:
    async with session_factory() as db:
        return await year_counts(db, year)


def late_by(process: str, due_at: datetime, left: int | str | None, now: datetime) -> str:
    """How long a clock has been overdue, as the board writes it: in hours and minutes for an hour
    clock (已超期3小时05分), in working days past its last day otherwise (已超期2个工作日); "" when not."""
    if due_at > now:
        return ""
    if process == "incident":
        return f"已超期{span_zh(now - due_at)}"
    days = -left if isinstance(left, int) else 0
    return f"已超期{days}个工作日" if days > 0 else "已超期（不足1个工作日）"


async def handlers(db: AsyncSession, rows: Sequence[Any]) -> Callable[[Any], list[str]]:
    """Who handles each clock: its assignee, or else the officers of its department (by name)."""
    wanted_departments = {d.department_id for d in rows if d.assignee_id is None and d.department_id is not None}
    wanted_users = {d.assignee_id for d in rows if d.assignee_id is not None}
    found = (await db.execute(select(User.id, User.display_name, User.department_id, User.role).where(
        col(User.active), or_(col(User.id).in_(wanted_users), and_(
            col(User.department_id).in_(wanted_departments), User.role == Role.OFFICER))))).all() \
        if rows else []
    by_id = {u.id: u.display_name for u in found}
    officers: dict[int, list[str]] = defaultdict(list)
    for u in found:
        if u.role == Role.OFFICER:
            officers[u.department_id].append(u.display_name)

    def people(d: Any) -> list[str]:
        if d.assignee_id is not None:
            return [by_id[d.assignee_id]] if d.assignee_id in by_id else []
        return sorted(officers.get(d.department_id, []))

    return people


class BoardController(Controller):
    path = "/board"
    include_in_schema = False

    @get("/", guards=[oversight_only])
    async def board(self, state: State, db: AsyncSession, user: User,
                    within: int = Parameter(default=3, ge=0, le=60), department: str = "",
                    page_number: int = Parameter(query="page", default=1, ge=1, le=100_000)) -> Template:
        now = datetime.now(CST)
        # The year's counts read every open clock's index entry (100,000 at a province's scale): on a
        # connection of their own, while this one reads the list, so the database reads both at once.
        counts = asyncio.create_task(_year_counts_apart(state.session_factory, now.year))
        counts.add_done_callback(lambda t: t.cancelled() or t.exception())  # read, should the page fail first
        try:
            return await self._board(db, user, within, department, page_number, now, counts)
        finally:
            counts.cancel()  # done by then, unless the page failed first

    async def _board(self, db: AsyncSession, user: User, within: int, department: str, page_number: int,
                     now: datetime, counts: asyncio.Task[dict[str, int]]) -> Template:
        cal = await load_calendar(db)
        horizon = end_of_day(shift_working_days(cal, now.date(), within))
        department_id = forms.filter_id(department)
        counted, listed = _shown(bool(department_id))
        values = {"horizon": horizon, "department": department_id, "limit": BOARD_PAGE,
                  "offset": (page_number - 1) * BOARD_PAGE}
        per_department = dict((await db.execute(counted, values)).all())
        total = sum(per_department.values())
        rows = (await db.execute(listed, values)).all()
        departments = list((await db.execute(_DEPARTMENTS)).scalars())
        names = {d.id: d.name for d in departments}
        people = await handlers(db, rows)
        groups: dict[str, list] = defaultdict(list)
        for d in rows:
            level, left = (hour_urgency(d.due_at, now), countdown_zh(d.due_at, now)) if d.process == "incident" \
                else urgency(cal, d.due_at, now)
            info = {"department": names.get(d.department_id, "未分配"), "people": people(d),
                    "late": late_by(d.process, d.due_at, left, now)}
            groups[names.get(d.department_id, "未分配")].append((d, level, left, info))
        in_department = {names.get(k, "未分配"): n for k, n in per_department.items()}
        return await page("board.html", db, user, groups=dict(sorted(groups.items())), within=within,
                          counts=await counts, year=now.year, beijing=beijing,
                          process_zh=PROCESS_ZH, total=total, in_department=in_department,
                          titles=await titles_of(db, rows), departments=departments, department_id=department_id,
                          page_number=page_number, pages=max(1, -(-total // BOARD_PAGE)), page_size=BOARD_PAGE)
