"""Incidents on the web: registration in under a minute (on a phone too), the case page with its
hour clocks and steps, and the office's incident board that counts down and refreshes itself."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.incident import ACTIONS, WORKFLOW, IncidentInput, IncidentView, PressConference, Release
from gongkai import incident as rules
from gongkai.clock import CST
from gongkai.errors import Conflict, GongkaiError, InvalidInput, NotFound, PermissionDenied
from gongkai.intake import allocate
from gongkai.people import actor_names
from gongkai.roles import WIDE_ROLES, Actor
from gongkai.rules import get_rule
from models import AuditEvent, Deadline, Department, IncidentCase, User
from web import actions, forms
from web.actions import UNAVAILABLE, Process, Refusal
from web.deps import temporal_client
from web.errors import status_for
from web.guards import REGISTER_INCIDENT, oversight_only, requires
from web.render import beijing, fragment, page
from web.visible import wait_visible

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PROCESS = Process("incident", "事件", "/incidents", IncidentCase, IncidentView, ACTIONS)
CLOCK_RULES = ("authoritative_release", "press_conference", "opinion_response")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
may_register = requires(REGISTER_INCIDENT, "当前账号不能登记突发事件")


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


async def _active_department(db: AsyncSession, department_id: int, what: str, field: str) -> int:
    department = await db.get(Department, department_id)
    if department is None or not department.active:
        raise InvalidInput(f"{what}不存在或已停用", field=field)
    return department_id


async def registration(db: AsyncSession, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """The workflow input's fields from a form or a JSON body, validated."""
    text = lambda n: forms.text(data, n)  # noqa: E731
    now = datetime.now(CST)
    occurred = forms.instant(data, "occurred_at", "发生时间")
    detected = forms.instant(data, "detected_at", "发现时间", now)
    follow_up = forms.number(data, "follow_up_hours", "持续发布提醒间隔", default=rules.DEFAULT_FOLLOW_UP_HOURS)
    lead = await _active_department(db, forms.number(data, "department_id", "牵头责任部门",
                                                     default=user.department_id, low=1), "责任部门", "department_id")
    rules.require_registrar(await actions.actor_of(db, user), lead)
    co = [await _active_department(db, c, "责任部门", "co_departments")
          for c in forms.numbers(data, "co_departments", "共同责任部门") if c != lead]
    rules.check_registration(title=text("title"), grade=text("grade"), source=text("source"), occurred_at=occurred,
                             detected_at=detected, now=now, location=text("location"), follow_up_hours=follow_up)
    limits = (("title", "事件简述", 300), ("location", "发生地点", 200), ("description", "详细情况", 4000))
    for name, what, limit in limits:
        if len(text(name)) > limit:
            raise InvalidInput(f"{what}不能超过{limit}字", field=name)
    anchors = {r: get_rule(r).anchor for r in CLOCK_RULES if get_rule(r).anchor}
    return dict(title=text("title"), description=text("description"), location=text("location"),
                grade=text("grade"), source=text("source"), occurred_at=occurred, detected_at=detected,
                department_id=lead, co_departments=co, created_by=user.username, follow_up_hours=follow_up,
                anchors=anchors)


async def register(db: AsyncSession, state: State, user: User, data: dict[str, Any]) -> str:
    """Start a case once per form key; returns its id when the registration is visible."""
    fields = await registration(db, user, data)
    key = (forms.text(data, "form_key") or uuid.uuid4().hex)[:64]
    case_id, _code, new = await allocate(db, key, "incident", "IN")
    if new:
        client = await temporal_client(state)
        if client is None:
            raise Conflict(UNAVAILABLE)
        await client.start_workflow(WORKFLOW, IncidentInput(case_id, **fields), id=case_id,
                                    task_queue=state.task_queue)
    await wait_visible(db, IncidentCase, case_id)  # until the registration is visible
    return case_id


async def args_for(db: AsyncSession, action: str, data: dict[str, Any], actor: Actor) -> list[Any]:
    text = lambda n: forms.text(data, n)  # noqa: E731
    now = datetime.now(CST)
    if action == "reassign":
        wanted = forms.number(data, "department_id", "新的牵头部门", low=1, chosen=True)
        return [actor, await _active_department(db, wanted, "新的牵头部门", "department_id"), text("reason")]
    args: dict[str, Any] = {
        "release": lambda: [Release(text("text"), text("channel"), forms.instant(data, "released_at", "发布时间", now),
                                    text("approved_by"))],
        "press_conference": lambda: [PressConference(forms.instant(data, "held_at", "发布会时间", now), text("place"),
                                                     text("spokesperson"), forms.flag(data, "head_attended"))],
        "classify": lambda: [text("category"), text("note")],
        "refer": lambda: [text("target"), text("note")],
        "evaluate": lambda: [text("effect"), text("summary")],
        "end_response": lambda: [], "close": lambda: [],
    }
    if action not in args:
        raise actions.unknown_action()
    return [actor, *args[action]()]


async def open_incidents(db: AsyncSession, user: User) -> list[tuple[IncidentCase, list[Deadline]]]:
    rows = [r for r in (await db.execute(select(IncidentCase).where(IncidentCase.stage != "closed")
                                         .order_by(col(IncidentCase.occurred_at)))).scalars() if can_view(user, r)]
    deadlines: dict[str, list[Deadline]] = {}
    if rows:
        for d in (await db.execute(select(Deadline).where(col(Deadline.case_id).in_([r.id for r in rows]))
                                   .order_by(col(Deadline.due_at)))).scalars():
            deadlines.setdefault(d.case_id, []).append(d)
    return [(r, deadlines.get(r.id, [])) for r in rows]


def clock_rows(deadlines: list[Deadline], now: datetime) -> list[dict[str, Any]]:
    out = []
    for d in deadlines:
        due = d.due_at if d.state in {"running", "paused"} else None
        out.append({"d": d, "running": due is not None,
                    "urgency": rules.hour_urgency(due, now) if due else d.state,
                    "countdown": rules.countdown_zh(due, now) if due else
                    {"met": "按时完成", "late": "超时完成", "cancelled": "已撤销"}.get(d.state, d.state)})
    return out


def _context(now: datetime) -> dict[str, Any]:
    return {"grades": rules.GRADES, "sources": rules.SOURCES, "channels": rules.CHANNELS, "triage": rules.TRIAGE,
            "targets": rules.REFERRAL_TARGETS, "effects": rules.EFFECTS, "stage_zh": rules.STAGE_ZH,
            "now_local": now.strftime(LOCAL_FORMAT), "beijing": beijing,
            "labels": {a: ACTIONS.label(a) for a in ACTIONS.actions}}


class IncidentController(Controller):
    path = "/incidents"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        now = datetime.now(CST)
        rows = [r for r in (await db.execute(select(IncidentCase).order_by(col(IncidentCase.occurred_at).desc())
                                             .limit(300))).scalars() if can_view(user, r)]
        return await page("incident/index.html", db, user, rows=rows, **_context(now))

    @get("/new", guards=[may_register])
    async def new_form(self, db: AsyncSession, user: User) -> Template:
        return await self._form(db, user, None, {})

    async def _form(self, db: AsyncSession, user: User, error: GongkaiError | None, values: dict,
                    status_code: int = 200) -> Template:
        now = datetime.now(CST)
        departments = list((await db.execute(select(Department).where(col(Department.active))
                                             .order_by(col(Department.id)))).scalars())
        # The lead may be chosen among the departments this person may register for.
        leads = departments if user.role in rules.DECIDERS else [d for d in departments if d.id == user.department_id]
        return await page("incident/new.html", db, user, status_code=status_code, departments=departments, leads=leads,
                          error=error.message if error else None, error_field=error.field if error else None,
                          v=values, form_key=values.get("form_key") or uuid.uuid4().hex, **_context(now))

    @post("/new", guards=[may_register])
    async def create(self, db: AsyncSession, state: State, user: User, data: Form) -> Redirect | Template:
        try:
            case_id = await register(db, state, user, data)
        except (InvalidInput, PermissionDenied) as exc:
            return await self._form(db, user, exc, forms.typed(data), status_code=status_for(exc))
        return Redirect(f"/incidents/{case_id}")

    @get("/board", guards=[oversight_only])
    async def board(self, request: Request, db: AsyncSession, user: User) -> Template:
        now = datetime.now(CST)
        items = [(r, clock_rows(ds, now)) for r, ds in await open_incidents(db, user)]
        departments = list((await db.execute(select(Department).order_by(col(Department.id)))).scalars())
        names = {d.id: d.name for d in departments}
        context = dict(items=items, names=names, now=now, **_context(now))
        if request.headers.get("hx-request"):
            return fragment("incident/_board.html", user, **context)
        return await page("incident/board.html", db, user, **context)

    async def _case(self, db: AsyncSession, user: User, case_id: str, refusal: Refusal | None = None) -> Template:
        row = await visible(db, user, case_id)
        view = PROCESS.view_of(row)
        now = datetime.now(CST)
        events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == row.id)
                                        .order_by(col(AuditEvent.at), col(AuditEvent.id)))).scalars())
        deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == row.id)
                                           .order_by(col(Deadline.due_at)))).scalars())
        departments = list((await db.execute(select(Department).order_by(col(Department.id)))).scalars())
        return await page("incident/case.html", db, user, status_code=refusal.status if refusal else 200, row=row,
                          v=view, events=events, clocks=clock_rows(deadlines, now),
                          actors=await actor_names(db, (e.actor for e in events)),
                          names={d.id: d.name for d in departments}, refusal=refusal,
                          departments=[d for d in departments if d.active and d.id != view.department_id],
                          actions=ACTIONS.available(view, await actions.actor_of(db, user), now), **_context(now))

    @get("/{case_id:str}")
    async def case(self, db: AsyncSession, user: User, case_id: str) -> Template:
        return await self._case(db, user, case_id)

    @post("/{case_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str,
                  data: Form) -> Redirect | Template:
        await visible(db, user, case_id)

        async def args() -> list[Any]:
            return await args_for(db, action, data, await actions.actor_of(db, user))

        return await actions.submit(state, db, PROCESS, case_id, action, args, data,
                                    lambda refusal: self._case(db, user, case_id, refusal))


async def as_json(db: AsyncSession, user: User, case_id: str) -> dict[str, Any]:
    row = await visible(db, user, case_id)
    deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == case_id)
                                       .order_by(col(Deadline.due_at)))).scalars())
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

    @post("/", summary="Register an incident or public-opinion case", status_code=201, guards=[may_register])
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
        args = await args_for(db, action, data or {}, await actions.actor_of(db, user))
        await actions.send(state, PROCESS, case_id, action, args)
        db.expunge_all()  # the case as it is now, in the shape GET gives (the shape this answer always had)
        return await as_json(db, user, case_id)
