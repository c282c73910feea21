"""The officer inbox: my tasks and my department's unclaimed ones, by due instant, coloured by
urgency, filtered and searched; the same tasks as a board with a column per stage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST
from gongkai.disclosure import STAGE_ZH, Stage
from gongkai.grams import contains
from gongkai.incident import countdown_zh, hour_urgency
from gongkai.worklist import fold, task_matter, urgency, widens_to
from models import Department, DisclosureRequest, Task, User
from web.forms import MAX_ID
from web.render import beijing, fragment, page
from web.tasks import inbox_branches

URGENCY_ZH = {"overdue": "已超期", "due_today": "今日到期", "due_soon": "即将到期", "on_track": "正常",
              "none": "无期限"}
PROCESS_ZH = {"disclosure": "依申请公开", "policy": "政策解读", "incident": "突发事件舆情", "publication": "主动公开"}
LIMIT = 100
TRACKING_CODE = re.compile(r"[A-Z]{2}-\d{4}-\d{6}")
CODE_CHARS = re.compile(r"[A-Za-z0-9-]+")


@dataclass
class Row:
    task: Task
    stage: str | None
    applicant: str
    urgency: str
    days_left: int | None
    countdown: str | None = None  # hour clocks (incidents) count down in hours and minutes
    more: int = 0  # rows of the same case and matter folded into this one


class InboxController(Controller):
    path = "/inbox"
    include_in_schema = False

    @get("/")
    async def inbox(self, request: Request, db: AsyncSession, user: User, view: str = "list",
                    process: str | None = None, stage: str | None = None,
                    department: int | None = Parameter(default=None, ge=1, le=MAX_ID),
                    overdue: bool = False, q: str | None = None, mine: bool = False,
                    whose: str = Parameter(query="scope", default="mine")) -> Template:
        now = datetime.now(CST)
        found: dict[int, tuple] = {}
        term = q.strip()[:60] if q and q.strip() else None
        code = q.strip().upper() if q and TRACKING_CODE.fullmatch(q.strip().upper()) else None
        everything = (whose == "all" or department is not None) and widens_to(user.role) is not None
        for branch in inbox_branches(user, department, everything):
            query = branch.outerjoin(DisclosureRequest, DisclosureRequest.id == Task.case_id).add_columns(
                DisclosureRequest.stage, DisclosureRequest.applicant_name)
            if process:
                query = query.where(Task.process == process)
            if stage:
                query = query.where(DisclosureRequest.stage == stage)
            if overdue:
                query = query.where(Task.due_at < now)
            if mine:
                query = query.where(Task.assignee_id == user.id)
            if code:  # a whole tracking code: straight to its tasks by index
                query = query.where(Task.case_id == code)
            elif term:
                named = contains(DisclosureRequest.applicant_name, term)
                # A tracking code holds only letters, digits and hyphens: a name (王伟) cannot be in one.
                query = query.where(or_(contains(Task.case_id, term), named) if CODE_CHARS.fullmatch(term) else named)
            dated = query.where(Task.due_at.is_not(None)).order_by(Task.due_at).limit(LIMIT)
            undated = query.where(Task.due_at.is_(None)).order_by(Task.id).limit(50)
            for q_ in (dated, undated):
                for task, stage_value, applicant in (await db.execute(q_)).all():
                    found[task.id] = (task, stage_value, applicant)
        ordered = sorted(found.values(), key=lambda r: (r[0].due_at is None, r[0].due_at or now, r[0].id))[:LIMIT]
        # One row per case and matter (a case's 督办 rows are one), however many rows the clocks wrote.
        folded = fold(ordered, lambda r: task_matter(r[0].case_id, r[0].kind))
        cal = await load_calendar(db)
        rows = []
        for matter in folded:
            task, stage_value, applicant = matter.first
            if task.process == "incident" and task.due_at is not None:
                rows.append(Row(task, stage_value, applicant or "", hour_urgency(task.due_at, now), None,
                                countdown_zh(task.due_at, now), more=matter.more))
                continue
            level, left = urgency(cal, task.due_at, now)
            rows.append(Row(task, stage_value, applicant or "", level, left, more=matter.more))
        departments = list((await db.execute(select(Department).where(Department.active))).scalars())
        columns = [s for s in Stage if s in {Stage.AWAITING_CONFIRMATION, Stage.REVIEW, Stage.CORRECTION,
                                             Stage.CONSULTATION, Stage.HANDLING, Stage.SIGN_OFF, Stage.SIGNED,
                                             Stage.REPLIED}]
        context = dict(rows=rows, view=view if view in {"list", "board"} else "list", process=process or "",
                       stage=stage or "", department=department, overdue=overdue, q=q or "", mine=mine,
                       departments=departments, scope="all" if everything else "mine",
                       widens=widens_to(user.role), stage_zh=STAGE_ZH, urgency_zh=URGENCY_ZH, process_zh=PROCESS_ZH,
                       columns=columns, beijing=beijing, counts={k: sum(r.urgency == k for r in rows)
                                                               for k in URGENCY_ZH})
        if request.headers.get("hx-request") and request.headers.get("hx-target") == "inbox-results":
            return fragment("inbox/_results.html", user, **context)
        return await page("inbox/index.html", db, user, **context)
