"""Incidents on the web: registration in under a minute (on a phone too), the case page with its
hour clocks and steps, and the office's incident board that counts down and refreshes itself."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.incident import ACTIONS, WORKFLOW, IncidentInput, IncidentView, PressConference, Release, Screenshot
from gongkai import blobs
from gongkai import incident as rules
from gongkai.clock import CST
from gongkai.errors import Conflict, GongkaiError, InvalidInput, NotFound, PermissionDenied
from gongkai.intake import allocate
from gongkai.people import actor_names
from gongkai.roles import ACCOUNT_ROLES, WIDE_ROLES, Actor, DepartmentKind
from gongkai.rule_store import current_book
from models import AuditEvent, Deadline, Department, IncidentCase, Letter, User
from web import actions, forms
from web.actions import UNAVAILABLE, Process, Refusal
from web.deps import temporal_client
from web.disclosure.letters import letter_view, seal_image
from web.errors import status_for
from web.guards import REGISTER_INCIDENT, requires
from web.render import beijing, fragment, page
from web.visible import wait_visible

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PROCESS = Process("incident", "事件", "/incidents", IncidentCase, IncidentView, ACTIONS)
CLOCK_RULES = ("authoritative_release", "press_conference", "opinion_response")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
may_register = requires(REGISTER_INCIDENT, "当前账号不能登记突发事件")
# Every account: the office and oversight see all open cases, a department those it is responsible for.
may_see_board = requires(ACCOUNT_ROLES, "请先登录")


def can_view(user: User, row: IncidentCase, kind: str | None = None) -> bool:
    """The office and oversight see every case (`kind`: the user's department's; the open-information
    office's staff too, who coordinate the response); a department sees the cases it is responsible for."""
    return user.role in WIDE_ROLES or kind == DepartmentKind.OPENNESS_OFFICE or \
        user.department_id == row.department_id or user.department_id in (row.co_departments or [])


async def department_kind(db: AsyncSession, user: User) -> str | None:
    return (await db.execute(select(Department.kind).where(Department.id == user.department_id))).scalar_one_or_none()


async def visible(db: AsyncSession, user: User, case_id: str) -> IncidentCase:
    row = await db.get(IncidentCase, case_id)
    if row is None:
        raise NotFound("事件不存在")
    if not can_view(user, row, await department_kind(db, user)):
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
    book = await current_book(db, rules.RULES)  # the rules the case will run by, anchors included
    anchors = {r: book.rule(r).anchor for r in CLOCK_RULES if book.rule(r).anchor}
    return dict(title=text("title"), description=text("description"), location=text("location"),
                grade=text("grade"), source=text("source"), occurred_at=occurred, detected_at=detected,
                department_id=lead, co_departments=co, created_by=user.username, follow_up_hours=follow_up,
                anchors=anchors, rules=book)


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
        "release": lambda: [release_of(data, now)],
        "press_conference": lambda: [PressConference(forms.instant(data, "held_at", "发布会时间", now), text("place"),
                                                     text("spokesperson"), forms.flag(data, "head_attended"))],
        "classify": lambda: [text("category"), text("note")],
        "refer": lambda: [text("target"), text("note")],
        "evaluate": lambda: [text("effect"), text("summary")],
        "end_response": lambda: [], "close": lambda: [],
        "supervise": lambda: [text("note"), text("required")],
        "supervision_feedback": lambda: [forms.number(data, "number", "督办通知单编号", low=1), text("feedback")],
    }
    if action not in args:
        raise actions.unknown_action()
    return [actor, *args[action]()]


def release_of(data: dict[str, Any], now: datetime, screenshot: Screenshot | None = None) -> Release:
    """A release from a form (checkboxes `channels`) or JSON (`channels`, or the one `channel` of older clients)."""
    channels = forms.strings(data, "channels")
    return Release(forms.text(data, "text"), channels[0] if channels else forms.text(data, "channel"),
                   forms.instant(data, "released_at", "发布时间", now), forms.text(data, "approved_by"),
                   channels, forms.text(data, "link"), screenshot)


async def screenshot_of(upload: Any) -> Screenshot | None:
    """The release's screenshot, checked by its content (PNG or JPEG) and size, stored like every upload."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(rules.SCREENSHOT_MAX_BYTES + 1)
    ctype = blobs.sniff(content) or ""
    rules.check_screenshot(ctype, len(content))
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][-200:]
    return Screenshot(name, ctype, len(content), blobs.save(content))


async def open_incidents(db: AsyncSession, user: User) -> list[tuple[IncidentCase, list[Deadline]]]:
    """The open cases this user may see, most urgent first (rules.board_order)."""
    kind = await department_kind(db, user)
    found = await db.execute(select(IncidentCase).where(IncidentCase.stage != "closed")
                             .order_by(col(IncidentCase.occurred_at)))
    rows = [r for r in found.scalars() if can_view(user, r, kind)]
    deadlines: dict[str, list[Deadline]] = {}
    if rows:
        for d in (await db.execute(select(Deadline).where(col(Deadline.case_id).in_([r.id for r in rows]))
                                   .order_by(col(Deadline.due_at)))).scalars():
            deadlines.setdefault(d.case_id, []).append(d)
    order = rules.board_order([(r.id, [d.due_at for d in deadlines.get(r.id, []) if d.state == "running"],
                                r.occurred_at) for r in rows])
    by_id = {r.id: r for r in rows}
    return [(by_id[i], deadlines.get(i, [])) for i in order]


def clock_rows(deadlines: list[Deadline], now: datetime) -> list[dict[str, Any]]:
    out = []
    for d in deadlines:
        due = d.due_at if d.state in {"running", "paused"} else None
        out.append({"d": d, "running": due is not None,
                    "urgency": rules.hour_urgency(due, now) if due else d.state,
                    "countdown": rules.countdown_zh(due, now) if due else
                    {"met": "按时完成", "late": "超时完成", "cancelled": "已撤销"}.get(d.state, d.state)})
    return out


def field_errors(error: GongkaiError | None) -> dict[str, str]:
    """Each refused field's message, to show beside it (all of them, not only the first)."""
    if error is None:
        return {}
    found = dict(error.detail.get("fields") or {})
    if error.field and error.field not in found:
        found[error.field] = error.message
    return found


def _context(now: datetime) -> dict[str, Any]:
    return {"grades": rules.GRADES, "sources": rules.SOURCES, "channels": rules.CHANNELS, "triage": rules.TRIAGE,
            "targets": rules.REFERRAL_TARGETS, "effects": rules.EFFECTS, "stage_zh": rules.STAGE_ZH,
            "now_local": now.strftime(LOCAL_FORMAT), "beijing": beijing,
            "supervision_required": rules.SUPERVISION_REQUIRED,
            "labels": {a: ACTIONS.label(a) for a in ACTIONS.actions}}


class IncidentController(Controller):
    path = "/incidents"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        now = datetime.now(CST)
        kind = await department_kind(db, user)
        rows = [r for r in (await db.execute(select(IncidentCase).order_by(col(IncidentCase.occurred_at).desc())
                                             .limit(300))).scalars() if can_view(user, r, kind)]
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
                          errors=field_errors(error), v=values, form_key=values.get("form_key") or uuid.uuid4().hex,
                          **_context(now))

    @post("/new", guards=[may_register])
    async def create(self, db: AsyncSession, state: State, user: User, data: Form) -> Redirect | Template:
        try:
            case_id = await register(db, state, user, data)
        except (InvalidInput, PermissionDenied) as exc:
            return await self._form(db, user, exc, forms.typed(data), status_code=status_for(exc))
        return Redirect(f"/incidents/{case_id}")

    @get("/board", guards=[may_see_board])
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
        letters = {letter.key: letter for letter in (await db.execute(
            select(Letter).where(Letter.case_id == row.id).order_by(col(Letter.id)))).scalars()}
        return await page("incident/case.html", db, user, status_code=refusal.status if refusal else 200, row=row,
                          letters=letters,
                          v=view, events=events, clocks=clock_rows(deadlines, now),
                          actors=await actor_names(db, (e.actor for e in events)),
                          names={d.id: d.name for d in departments}, refusal=refusal,
                          departments=[d for d in departments if d.active and d.id != view.department_id],
                          actions=ACTIONS.available(view, await actions.actor_of(db, user), now), **_context(now))

    @get("/{case_id:str}")
    async def case(self, db: AsyncSession, user: User, case_id: str) -> Template:
        return await self._case(db, user, case_id)

    @post("/{case_id:str}/release")
    async def release(self, request: Request, db: AsyncSession, state: State, user: User,
                      case_id: str) -> Redirect | Template:
        """登记发布: several channels (checkboxes), the link and a screenshot (so a form of its own: multipart)."""
        await visible(db, user, case_id)
        form = await request.form()
        data: dict[str, Any] = {k: form.get(k) for k in form if k not in {"channels", "screenshot"}}
        data = {k: v for k, v in data.items() if isinstance(v, str)}
        data["channels"] = [v for v in form.getall("channels", []) if isinstance(v, str)]

        async def args() -> list[Any]:
            release = release_of(data, datetime.now(CST), await screenshot_of(form.get("screenshot")))
            return [await actions.actor_of(db, user), release]

        return await actions.submit(state, db, PROCESS, case_id, "release", args, data,
                                    lambda refusal: self._case(db, user, case_id, refusal))

    @get("/{case_id:str}/releases/{number:int}/screenshot")
    async def screenshot(self, db: AsyncSession, user: User, case_id: str, number: int) -> Response:
        """A release's screenshot, for those who may see the case."""
        view = PROCESS.view_of(await visible(db, user, case_id))
        if not 0 < number <= len(view.releases) or view.releases[number - 1].screenshot is None:
            raise NotFound("截图不存在")
        shot = view.releases[number - 1].screenshot
        assert shot is not None
        return Response(blobs.read(shot.sha256), media_type=shot.content_type,
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})

    @get("/{case_id:str}/letters/{letter_id:str}")
    async def letter(self, db: AsyncSession, user: User, case_id: str, letter_id: str) -> Template | Response:
        """A 督办通知单 on screen (`12`), or its PDF (`12.pdf`)."""
        await visible(db, user, case_id)
        return await letter_view(db, "/incidents", case_id, letter_id)

    @get("/{case_id:str}/letters/{letter_id:str}/seal")
    async def letter_seal(self, db: AsyncSession, user: User, case_id: str, letter_id: str) -> Response:
        await visible(db, user, case_id)
        return await seal_image(db, case_id, letter_id)

    @post("/{case_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str,
                  data: Form, next: str | None = None) -> Redirect | Template:
        await visible(db, user, case_id)

        async def args() -> list[Any]:
            return await args_for(db, action, data, await actions.actor_of(db, user))

        return await actions.submit(state, db, PROCESS, case_id, action, args, data,
                                    lambda refusal: self._case(db, user, case_id, refusal), next)


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
