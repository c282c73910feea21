"""The supervisors' board: every open deadline, across departments and processes, that is overdue
or due within N working days, grouped by department, with the escalation level reached."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy import and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, end_of_day, shift_working_days
from gongkai.incident import countdown_zh, hour_urgency
from models import Deadline, Department, User
from web.guards import oversight_only
from web.inbox import PROCESS_ZH, urgency
from web.render import beijing, page

BOARD_LIMIT = 500  # the most urgent first; the counts above give the totals


async def year_counts(db: AsyncSession, year: int) -> dict[str, int]:
    start = datetime(year, 1, 1, tzinfo=CST)
    end = datetime(year + 1, 1, 1, tzinfo=CST)
    now = datetime.now(CST)
    # count(*) so the (state, due_at) index answers without reading the rows
    open_ = (await db.execute(select(func.count()).select_from(Deadline).where(
        Deadline.state.in_(("running", "paused"))))).scalar_one()
    overdue = (await db.execute(select(func.count()).select_from(Deadline).where(
        Deadline.state == "running", Deadline.due_at < now))).scalar_one()
    closed = dict((await db.execute(select(Deadline.state, func.count()).where(
        Deadline.state.in_(("met", "late")), and_(Deadline.closed_at >= start, Deadline.closed_at < end))
        .group_by(Deadline.state))).all())
    return {"open": open_, "overdue": overdue, "met": closed.get("met", 0), "late": closed.get("late", 0)}


class BoardController(Controller):
    path = "/board"
    include_in_schema = False

    @get("/", guards=[oversight_only])
    async def board(self, db: AsyncSession, user: User, within: int = Parameter(default=3, ge=0, le=60)) -> Template:
        now = datetime.now(CST)
        cal = await load_calendar(db)
        horizon = end_of_day(shift_working_days(cal, now.date(), within))
        columns = (Deadline.id, Deadline.case_id, Deadline.process, Deadline.label, Deadline.due_at,
                   Deadline.provisional, Deadline.level, Deadline.department_id)
        rows = (await db.execute(select(*columns).where(Deadline.state == "running", Deadline.due_at <= horizon)
                                 .order_by(Deadline.due_at).limit(BOARD_LIMIT))).all()
        names = {d.id: d.name for d in (await db.execute(select(Department))).scalars()}
        groups: dict[str, list] = defaultdict(list)
        for d in rows:
            level, left = (hour_urgency(d.due_at, now), countdown_zh(d.due_at, now)) if d.process == "incident" \
                else urgency(cal, d.due_at, now)
            groups[names.get(d.department_id, "未分配")].append((d, level, left))
        return await page("board.html", db, user, groups=dict(sorted(groups.items())), within=within,
                          counts=await year_counts(db, now.year), year=now.year, beijing=beijing,
                          process_zh=PROCESS_ZH, total=len(rows))
