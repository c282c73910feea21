"""Incidents on the web: registration in under a minute (on a phone too), the case page with its
hour clocks and steps, and the office's incident board that counts down and refreshes itself."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.incident import IncidentInput
from gongkai import incident as rules
from gongkai.clock import CST
from gongkai.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, PermissionDenied
from gongkai.intake import allocate
from gongkai.rules import get_rule
from models import AuditEvent, Deadline, Department, IncidentCase, User
from models.accounts import WIDE_ROLES
from web.deps import temporal_client
from web.disclosure.service import actor_of
from web.render import beijing, page
from web.updates import send_update
from web.visible import wait_visible
from workflows.incident import IncidentWorkflow
from workflows.incident_types import IncidentView, PressConference, Release

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
REGISTRARS = {"officer", "dept_head", "office_head", "supervisor", "leader", "principal_head"}
CLOCK_RULES = ("authoritative_release", "press_conference", "opinion_response")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def local_instant(value: Any, what: str, default: datetime | None = None) -> datetime:
    """A Beijing wall-clock time from a form field."""
    text = str(value or "").strip()
    if not text:
        if default is not None:
            return default
        raise InvalidInput(f"请填写{what}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}格式无效，应为“年-月-日 时:分”") from None
    return parsed.replace(tzinfo=CST) if parsed.tzinfo is None else parsed


def can_view(user: User, row: IncidentCase) -> bool:
    return user.role in WIDE_ROLES or user.department_id == row.department_id or \
        user.department_id in (row.co_departments or [])


async def visible(db: AsyncSession, user: User, case_id: str) -> IncidentCase:
    row = await db.get(IncidentCase, case_id)
    if row is None:
        raise NotFound("事件不存在")
    if not can_view(user, row):
        raise PermissionDenied("无权查看其他部门的事件")
    return row


async def send(state: State, db: AsyncSession, case_id: str, action: str, *args) -> IncidentView:
    return await send_update(state, db, IncidentCase, case_id, action, list(args), IncidentView)


async def registration(db: AsyncSession, user: User, data: dict[str, Any]) -> dict:
    """The workflow input's fields from a form or a JSON body, validated."""
    if user.role not in REGISTRARS:
        raise PermissionDenied("当前账号不能登记突发事件")
    text = lambda n: str(data.get(n) or "").strip()  # noqa: E731
    now = datetime.now(CST)
    occurred = local_instant(data.get("occurred_at"), "发生时间")
    detected = local_instant(data.get("detected_at"), "发现时间", now)
    try:
        follow_up = int(text("follow_up_hours") or rules.DEFAULT_FOLLOW_UP_HOURS)
    except ValueError:
        raise InvalidInput("持续发布提醒间隔应为小时数") from None
    active = {d.id for d in (await db.execute(select(Department).where(Department.active))).scalars()}
    try:
        lead = int(text("department_id") or user.department_id)
        co_raw = data.get("co_departments") or []
        co = sorted({int(x) for x in (co_raw if isinstance(co_raw, list) else [co_raw]) if str(x).strip()})
    except ValueError:
        raise InvalidInput("责任部门无效") from None
    if lead not in active or not set(co) <= active:
        raise InvalidInput("责任部门不存在或已停用")
    co = [c for c in co if c != lead]
    rules.check_registration(title=text("title"), grade=text("grade"), source=text("source"), occurred_at=occurred,
                             detected_at=detected, now=now, location=text("location"), follow_up_hours=follow_up)
    anchors = {r: get_rule(r).anchor for r in CLOCK_RULES if get_rule(r).anchor}
    return dict(title=text("title")[:300], description=text("description")[:4000], location=text("location")[:200],
                grade=text("grade"), source=text("source"), occurred_at=occurred, detected_at=detected,
                department_id=lead, co_departments=co, created_by=user.username, follow_up_hours=follow_up,
                anchors=anchors)


async def register(db: AsyncSession, state: State, user: User, data: dict[str, Any]) -> str:
    """Start a case once per form key; returns its id when the registration is visible."""
    fields = await registration(db, user, data)
    key = str(data.get("form_key") or uuid.uuid4().hex)[:64]
    case_id, _code, new = await allocate(db, key, "incident", "IN")
    if new:
        client = await temporal_client(state)
        if client is None:
            raise Conflict("流程服务暂不可用，请稍后重试")
        await client.start_workflow(IncidentWorkflow.run, IncidentInput(case_id, **fields), id=case_id,
                                    task_queue=state.task_queue)
    await wait_visible(db, IncidentCase, case_id)  # until the registration is visible
    return case_id


async def args_for(db: AsyncSession, action: str, data: dict[str, Any], user: User) -> list:
    text = lambda n: str(data.get(n) or "").strip()  # noqa: E731
    now = datetime.now(CST)
    actor = actor_of(user)
    if action == "reassign":
        try:
            wanted = int(text("department_id"))
        except ValueError:
            wanted = 0
        department = await db.get(Department, wanted) if 0 < wanted < 2**31 else None  # an INTEGER column
        if department is None or not department.active:
            raise InvalidInput("请选择新的牵头部门")
        return [actor, department.id, text("reason")[:500]]
    if action == "release":
        return [actor, Release(text("text")[:4000], text("channel"), local_instant(data.get("released_at"), "发布时间",
                                                                                   now), text("approved_by")[:100])]
    if action == "press_conference":
        return [actor, PressConference(local_instant(data.get("held_at"), "发布会时间", now), text("place")[:200],
                                       text("spokesperson")[:100], text("head_attended") in {"on", "true", "1"})]
    if action == "classify":
        return [actor, text("category"), text("note")[:1000]]
    if action == "refer":
        return [actor, text("target"), text("note")[:1000]]
    if action == "evaluate":
        return [actor, text("effect"), text("summary")[:2000]]
    if action in {"end_response", "close"}:
        return [actor]
    raise NotFound("未知操作")


async def open_incidents(db: AsyncSession, user: User) -> list[tuple[IncidentCase, list[Deadline]]]:
    rows = [r for r in (await db.execute(select(IncidentCase).where(IncidentCase.stage != "closed")
                                         .order_by(IncidentCase.occurred_at))).scalars() if can_view(user, r)]
    deadlines: dict[str, list[Deadline]] = {}
    if rows:
        for d in (await db.execute(select(Deadline).where(Deadline.case_id.in_([r.id for r in rows]))
                                   .order_by(Deadline.due_at))).scalars():
            deadlines.setdefault(d.case_id, []).append(d)
    return [(r, deadlines.get(r.id, [])) for r in rows]


def clock_rows(deadlines: list[Deadline], now: datetime) -> list[dict]:
    out = []
    for d in deadlines:
        running = d.state in {"running", "paused"} and d.due_at is not None
        out.append({"d": d, "running": running,
                    "urgency": rules.hour_urgency(d.due_at, now) if running else d.state,
                    "countdown": rules.countdown_zh(d.due_at, now) if running else
                    {"met": "按时完成", "late": "超时完成", "cancelled": "已撤销"}.get(d.state, d.state)})
    return out


def _context(now: datetime) -> dict:
    return {"grades": rules.GRADES, "sources": rules.SOURCES, "channels": rules.CHANNELS, "triage": rules.TRIAGE,
            "targets": rules.REFERRAL_TARGETS, "effects": rules.EFFECTS, "stage_zh": rules.STAGE_ZH,
            "now_local": now.strftime(LOCAL_FORMAT), "beijing": beijing}


class IncidentController(Controller):
    path = "/incidents"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        now = datetime.now(CST)
        rows = [r for r in (await db.execute(select(IncidentCase).order_by(IncidentCase.occurred_at.desc())
                                             .limit(300))).scalars() if can_view(user, r)]
        return await page("incident/index.html", db, user, rows=rows, **_context(now))

    @get("/new")
    async def new_form(self, db: AsyncSession, user: User) -> Template:
        return await self._form(db, user, None, {})

    async def _form(self, db: AsyncSession, user: User, error: str | None, values: dict,
                    status_code: int = 200) -> Template:
        if user.role not in REGISTRARS:
            raise PermissionDenied("当前账号不能登记突发事件")
        now = datetime.now(CST)
        departments = list((await db.execute(select(Department).where(Department.active)
                                             .order_by(Department.id))).scalars())
        return await page("incident/new.html", db, user, status_code=status_code, departments=departments,
                          error=error, v=values, form_key=values.get("form_key") or uuid.uuid4().hex,
                          **_context(now))

    @post("/new")
    async def create(self, db: AsyncSession, state: State, user: User, data: Form) -> Redirect | Template:
        values = {k: (v if isinstance(v, list) else str(v)) for k, v in data.items() if k != "_csrf_token"}
        try:
            case_id = await register(db, state, user, data)
        except InvalidInput as exc:
            return await self._form(db, user, exc.message, values, status_code=400)
        return Redirect(f"/incidents/{case_id}")

    @get("/board")
    async def board(self, request: Request, db: AsyncSession, user: User) -> Template:
        if user.role not in WIDE_ROLES:
            raise PermissionDenied("只有公开办、督办人员和领导可以查看突发事件看板")
        now = datetime.now(CST)
        items = [(r, clock_rows(ds, now)) for r, ds in await open_incidents(db, user)]
        departments = list((await db.execute(select(Department).order_by(Department.id))).scalars())
        names = {d.id: d.name for d in departments}
        context = dict(items=items, names=names, now=now, **_context(now))
        if request.headers.get("hx-request"):
            return Template("incident/_board.html", context={**context, "user": user})
        return await page("incident/board.html", db, user, **context)

    @get("/{case_id:str}")
    async def case(self, db: AsyncSession, user: User, case_id: str) -> Template:
        return await self._case(db, user, await visible(db, user, case_id))

    async def _case(self, db: AsyncSession, user: User, row: IncidentCase, error: str | None = None,
                    status_code: int = 200) -> Template:
        now = datetime.now(CST)
        events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == row.id)
                                        .order_by(AuditEvent.at, AuditEvent.id))).scalars())
        deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == row.id)
                                           .order_by(Deadline.due_at))).scalars())
        departments = list((await db.execute(select(Department).order_by(Department.id))).scalars())
        names = {d.id: d.name for d in departments}
        responsible = user.department_id in {row.department_id, *(row.co_departments or [])} and \
            user.role in {"officer", "dept_head"} or user.role in {"office_head", "leader", "principal_head"}
        return await page("incident/case.html", db, user, status_code=status_code, row=row, s=row.state or {},
                          events=events, clocks=clock_rows(deadlines, now), names=names, error=error,
                          departments=[d for d in departments if d.active and d.id != row.department_id],
                          responsible=responsible, decider=user.role in rules.DECIDERS, **_context(now))

    @post("/{case_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str,
                  data: Form) -> Redirect | Template:
        await visible(db, user, case_id)
        try:
            await send(state, db, case_id, action, *await args_for(db, action, data, user))
        except (InvalidInput, Conflict, ActionNotAllowed) as exc:
            fresh = (await db.execute(select(IncidentCase).where(IncidentCase.id == case_id)
                                      .execution_options(populate_existing=True))).scalar_one()
            return await self._case(db, user, fresh, exc.message, 400 if isinstance(exc, InvalidInput) else 409)
        return Redirect(f"/incidents/{case_id}")


async def as_json(db: AsyncSession, user: User, case_id: str) -> dict[str, Any]:
    row = await visible(db, user, case_id)
    deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == case_id)
                                       .order_by(Deadline.due_at))).scalars())
    return {"id": row.id, "title": row.title, "grade": row.grade, "stage": row.stage, "source": row.source,
            "department_id": row.department_id, "co_departments": row.co_departments,
            "occurred_at": row.occurred_at, "detected_at": row.detected_at, "triage": row.triage,
            "releases": row.releases, "first_release_at": row.first_release_at, "press_at": row.press_at,
            "late_at_registration": row.late_at_registration, "version": row.version,
            "clocks": [{"rule": d.rule, "label": d.label, "hours": d.amount, "due_at": d.due_at, "state": d.state,
                        "level": d.level} for d in deadlines],
            "state": row.state}


class IncidentApi(Controller):
    """The same steps as JSON, for other government systems (a hotline, a monitoring service).
    Times are ISO 8601; without an offset they are Beijing time."""

    path = "/api/incidents"
    tags = ["incident"]

    @post("/", summary="Register an incident or public-opinion case", status_code=201)
    async def create(self, db: AsyncSession, state: State, user: User, data: dict[str, Any]) -> dict[str, Any]:
        case_id = await register(db, state, user, data)
        await db.refresh(user)  # the wait for the projection rolled the session back
        return await as_json(db, user, case_id)

    @get("/{case_id:str}", summary="An incident with its hour clocks")
    async def show(self, db: AsyncSession, user: User, case_id: str) -> dict[str, Any]:
        return await as_json(db, user, case_id)

    @post("/{case_id:str}/{action:str}", summary="Take a step on an incident", status_code=200)
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str,
                  data: dict[str, Any] | None = None) -> dict[str, Any]:
        await visible(db, user, case_id)
        view = await send(state, db, case_id, action, *await args_for(db, action, data or {}, user))
        return asdict(view)
