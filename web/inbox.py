"""The officer inbox: my tasks and my department's unclaimed ones, by due instant, coloured by
urgency, filtered and searched; the same tasks as a board with a column per stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, working_days_left
from gongkai.disclosure import STAGE_ZH, Stage
from models import Department, DisclosureRequest, Task, User
from web.deps import open_tasks_query
from web.render import beijing, page

DUE_SOON_WD = 3
URGENCY_ZH = {"overdue": "已超期", "due_today": "今日到期", "due_soon": "即将到期", "on_track": "正常",
              "none": "无期限"}
PROCESS_ZH = {"disclosure": "依申请公开"}
WIDE = {"office_head", "supervisor", "leader", "admin"}


@dataclass
class Row:
    task: Task
    stage: str | None
    applicant: str
    urgency: str
    days_left: int | None


def urgency(cal, due_at: datetime | None, now: datetime) -> tuple[str, int | None]:
    if due_at is None:
        return "none", None
    last_day: date = (due_at.astimezone(CST) - timedelta(seconds=1)).date()
    if due_at <= now:
        return "overdue", working_days_left(cal, now.astimezone(CST).date(), last_day)
    left = working_days_left(cal, now.astimezone(CST).date(), last_day)
    if left <= 0:
        return "due_today", 0
    return ("due_soon" if left <= DUE_SOON_WD else "on_track"), left


def visible_tasks(user: User, department: int | None):
    if user.role in WIDE:
        q = select(Task).where(Task.status == "open")
        if user.role != "admin":
            q = q.where(or_(Task.role == user.role, Task.department_id.is_not(None)))
        return q.where(Task.department_id == department) if department else q
    if user.role == "dept_head":
        return select(Task).where(Task.status == "open", or_(
            Task.department_id == user.department_id, Task.assignee_id == user.id,
            (Task.role == "dept_head") & (Task.department_id == user.department_id)))
    return open_tasks_query(user)


class InboxController(Controller):
    path = "/inbox"
    include_in_schema = False

    @get("/")
    async def inbox(self, request: Request, db: AsyncSession, user: User, view: str = "list",
                    process: str | None = None, stage: str | None = None, department: int | None = None,
                    overdue: bool = False, q: str | None = None, mine: bool = False) -> Template:
        now = datetime.now(CST)
        query = visible_tasks(user, department).outerjoin(
            DisclosureRequest, DisclosureRequest.id == Task.case_id).add_columns(
            DisclosureRequest.stage, DisclosureRequest.applicant_name)
        if process:
            query = query.where(Task.process == process)
        if stage:
            query = query.where(DisclosureRequest.stage == stage)
        if overdue:
            query = query.where(Task.due_at < now)
        if mine:
            query = query.where(Task.assignee_id == user.id)
        if q and q.strip():
            term = f"%{q.strip()[:60]}%"
            query = query.where(or_(Task.case_id.ilike(term), DisclosureRequest.applicant_name.ilike(term)))
        query = query.order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(300)
        cal = await load_calendar(db)
        rows = []
        for task, stage_value, applicant in (await db.execute(query)).all():
            level, left = urgency(cal, task.due_at, now)
            rows.append(Row(task, stage_value, applicant or "", level, left))
        departments = list((await db.execute(select(Department).where(Department.active))).scalars())
        columns = [s for s in Stage if s in {Stage.AWAITING_CONFIRMATION, Stage.REVIEW, Stage.CORRECTION,
                                             Stage.CONSULTATION, Stage.HANDLING, Stage.SIGN_OFF, Stage.SIGNED,
                                             Stage.REPLIED}]
        context = dict(rows=rows, view=view if view in {"list", "board"} else "list", process=process or "",
                       stage=stage or "", department=department, overdue=overdue, q=q or "", mine=mine,
                       departments=departments, stage_zh=STAGE_ZH, urgency_zh=URGENCY_ZH, process_zh=PROCESS_ZH,
                       columns=columns, beijing=beijing, counts={k: sum(r.urgency == k for r in rows)
                                                               for k in URGENCY_ZH})
        if request.headers.get("hx-request") and request.headers.get("hx-target") == "inbox-results":
            return Template("inbox/_results.html", context={**context, "user": user})
        return await page("inbox/index.html", db, user, **context)
