"""Publication items (主动公开事项) on the web: the office's list by department, kind, stage and urgency;
registration by an officer; the item page with its clock, channels, reviews and actions; and the JSON
API a business system opens items through, idempotent by its own key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template
from sqlalchemy import and_, func, literal, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.publication import ACTIONS, PublicationInput, PublicationView
from gongkai import publication as rules
from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, end_of_day, shift_working_days
from gongkai.errors import GongkaiError, InvalidInput, NotFound, PermissionDenied
from gongkai.people import actor_names
from gongkai.roles import WIDE_ROLES, Actor
from gongkai.rule_store import current_book
from models import AuditEvent, CatalogueEntry, Deadline, Department, PublicationItem, User
from web import actions, forms
from web.actions import Process, Refusal
from web.clocks import clock_states
from web.decision import decision
from web.deps import temporal_client
from web.errors import status_for
from web.guards import REGISTER_REQUEST, requires
from web.incident import field_errors
from web.publication_open import item_key, open_items
from web.render import page
from web.visible import wait_visible

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PROCESS = Process("publication", "公开事项", "/publication", PublicationItem, PublicationView, ACTIONS)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
PAGE_SIZE = 50
SOON_DAYS = 3  # working days: "due soon" on the list, as on the supervisors' board
URGENCY_ZH = {"overdue": "已超期", "due_soon": "即将到期", "on_time": "时限内"}
# Registers items: the responsible department's officers and head, and the openness office's head.
may_register = requires(REGISTER_REQUEST, "当前账号不能登记公开事项")


async def visible(db: AsyncSession, user: User, case_id: str) -> PublicationItem:
    """The responsible department's people see an item; the office head, supervisors, leaders and
    administrators see all."""
    row = await db.get(PublicationItem, case_id)
    if row is None:
        raise NotFound("公开事项不存在")
    if user.role in WIDE_ROLES or user.department_id == row.department_id:
        return row
    raise PermissionDenied("无权查看其他部门的公开事项")


async def _entry(db: AsyncSession, data: dict[str, Any]) -> CatalogueEntry | None:
    entry_id = forms.number(data, "catalogue_id", "目录事项", default=0)
    if not entry_id:
        return None
    entry = await db.get(CatalogueEntry, entry_id)
    if entry is None or not entry.active:
        raise InvalidInput("所选目录事项不存在或已停用", field="catalogue_id")
    return entry


async def registration(db: AsyncSession, user: User, data: dict[str, Any], source: str) -> PublicationInput:
    """The workflow input from a form or a JSON body, validated (the case id is filled in later)."""
    text = lambda n: forms.text(data, n)  # noqa: E731
    entry = await _entry(db, data)
    kind = text("kind") or (entry.kind if entry else "")
    channels = forms.strings(data, "channels") or (list(entry.channels) if entry else [])
    rules.check_registration(title=text("title"), kind=kind, channels=channels)
    default_department = entry.department_id if entry and entry.department_id else user.department_id
    department_id = forms.number(data, "department_id", "责任部门", default=default_department, low=1)
    department = await db.get(Department, department_id)
    if department is None or not department.active:
        raise InvalidInput("责任部门不存在或已停用", field="department_id")
    try:
        rules.require_department(await actions.actor_of(db, user), department_id)
    except PermissionDenied as exc:
        raise PermissionDenied("只能登记本部门的公开事项", field="department_id") from exc
    now = datetime.now(CST)
    triggered = forms.instant(data, "triggered_at", "发生时间")
    if triggered > now + timedelta(minutes=1):
        raise InvalidInput("发生时间不能晚于现在", field="triggered_at")
    if triggered.year < 1990:
        raise InvalidInput("发生时间无效", field="triggered_at")
    if len(text("content")) > rules.TEXT_LIMIT:
        raise InvalidInput(f"公开内容不能超过{rules.TEXT_LIMIT}字", field="content")
    review = forms.flag(data, "secrecy_review") if "secrecy_review" in data else \
        (entry.secrecy_review if entry else True)
    return PublicationInput(
        "", text("title"), kind, department_id, triggered, channels, secrecy_review=review,
        catalogue_id=entry.id if entry else None, content=text("content"), created_by=user.username,
        source=source, external_key=text("external_key")[:100] if source == "api" else "",
        rules=await current_book(db, rules.RULES))


async def register(db: AsyncSession, state: State, user: User, data: dict[str, Any], *, source: str = "form",
                   key: str) -> tuple[str, bool]:
    """Open an item once per key; returns its id (and whether it is new) once it is visible."""
    inp = await registration(db, user, data, source)
    if source == "api":  # the business system's number, in its department (the CSV import's key too)
        key = item_key(inp.department_id, inp.external_key)
    opened = await open_items(await temporal_client(state), state.task_queue, db,
                              [(key, lambda case_id: replace(inp, case_id=case_id))])
    case_id = (opened.new or opened.existing)[0]
    await wait_visible(db, PublicationItem, case_id)
    return case_id, bool(opened.new)


async def titles_of(db: AsyncSession, deadlines: Sequence[Any]) -> dict[str, str]:
    """The titles of the publication items among a board's clocks (by primary key: one query)."""
    ids = {d.case_id for d in deadlines if d.process == PROCESS.name}
    if not ids:
        return {}
    return dict((await db.execute(select(col(PublicationItem.id), col(PublicationItem.title))
                                  .where(col(PublicationItem.id).in_(ids)))).tuples().all())


def args_for(action: str, data: dict[str, Any], actor: Actor) -> list[Any]:
    text = lambda n: forms.text(data, n)  # noqa: E731
    now = datetime.now(CST).replace(second=0, microsecond=0)
    args: dict[str, Any] = {
        "submit": lambda: [],
        "review": lambda: [decision(data, "通过", "退回修改"), text("note")],
        "publish": lambda: [text("channel"), text("url"),
                            forms.instant(data, "at", "发布时间", default=now).isoformat()],
        "cancel": lambda: [text("reason")],
    }
    if action not in args:
        raise actions.unknown_action()
    return [actor, *args[action]()]


@dataclass(frozen=True)
class Filters:
    department: int | None
    kind: str
    stage: str
    urgency: str
    page: int


ITEM_COLUMNS = tuple(col(c) for c in (
    PublicationItem.id, PublicationItem.title, PublicationItem.kind, PublicationItem.department_id,
    PublicationItem.stage, PublicationItem.triggered_at, PublicationItem.published_channels,
    PublicationItem.channels, PublicationItem.outcome))


async def items(db: AsyncSession, user: User, f: Filters, now: datetime) -> tuple[list[Any], int]:
    """One page of the items this user may see, most urgent first, and how many there are. In two
    parts, each an index's order, so a page never sorts the whole table: the items whose clock runs,
    by its due time (the deadline's (state, due_at) index); then those without one (done, cancelled),
    newest registered first (the primary key: ids are allocated in order)."""
    running = and_(col(Deadline.case_id) == col(PublicationItem.id), col(Deadline.state) == "running")
    where = []
    department = f.department if user.role in WIDE_ROLES else user.department_id
    if department:
        where.append(PublicationItem.department_id == department)
    if f.kind:
        where.append(PublicationItem.kind == f.kind)
    if f.stage:
        where.append(PublicationItem.stage == f.stage)
    clocked = select(*ITEM_COLUMNS, col(Deadline.due_at)).join(Deadline, running).where(*where)
    if f.urgency:
        horizon = end_of_day(shift_working_days(await load_calendar(db), now.date(), SOON_DAYS))
        clocked = clocked.where({"overdue": col(Deadline.due_at) < now,
                                 "due_soon": and_(col(Deadline.due_at) >= now, col(Deadline.due_at) <= horizon),
                                 "on_time": col(Deadline.due_at) > horizon}[f.urgency])
    offset = (f.page - 1) * PAGE_SIZE
    rows = list((await db.execute(clocked.order_by(col(Deadline.due_at), col(PublicationItem.id))
                                  .limit(PAGE_SIZE).offset(offset))).all())
    # How many have a running clock, counted only when a page needs it (a count of the join reads
    # every running clock): a page that ran out of them says it.
    with_clock: int | None = offset + len(rows) if len(rows) < PAGE_SIZE and (rows or not offset) else None

    async def clocked_count() -> int:
        return with_clock if with_clock is not None else (await db.execute(
            select(func.count()).select_from(clocked.subquery()))).scalar_one()

    if f.urgency:  # an item has one clock; those without a running one are not asked for
        return rows, await clocked_count()
    total = (await db.execute(select(func.count()).select_from(PublicationItem).where(*where))).scalar_one()
    if len(rows) < PAGE_SIZE and total > offset + len(rows):
        # NOT IN a set (built once) rather than NOT EXISTS per row: SQLite answered the correlated
        # form through the deadline's state index, reading every running clock for every item.
        clocks = select(col(Deadline.case_id)).where(col(Deadline.process) == PROCESS.name,
                                                    col(Deadline.state) == "running")
        rest = select(*ITEM_COLUMNS, literal(None).label("due_at")).where(
            *where, col(PublicationItem.id).not_in(clocks))
        rows += list((await db.execute(rest.order_by(col(PublicationItem.id).desc()).limit(PAGE_SIZE - len(rows))
                                       .offset(max(0, offset - await clocked_count())))).all())
    return rows, total


def urgency_of(due: datetime | None, now: datetime, horizon: datetime) -> str:
    if due is None:
        return ""
    return "overdue" if due < now else "due_soon" if due <= horizon else "on_time"


def _context() -> dict[str, Any]:
    return {"kinds": {k: v[0] for k, v in rules.KINDS.items()}, "kind_channels": {k: v[2] for k, v in
                                                                                 rules.KINDS.items()},
            "channels_zh": rules.CHANNELS, "stage_zh": rules.STAGE_ZH, "sources": rules.SOURCES,
            "urgency_zh": URGENCY_ZH, "labels": {a: ACTIONS.label(a) for a in ACTIONS.actions}}


class PublicationController(Controller):
    path = "/publication"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User, department: str = "", kind: str = "", stage: str = "",
                    urgency: str = "",
                    page_number: int = Parameter(query="page", default=1, ge=1, le=100000)) -> Template:
        now = datetime.now(CST)
        f = Filters(forms.filter_id(department), kind if kind in rules.KINDS else "",
                    stage if stage in rules.STAGE_ZH else "", urgency if urgency in URGENCY_ZH else "", page_number)
        rows, total = await items(db, user, f, now)
        horizon = end_of_day(shift_working_days(await load_calendar(db), now.date(), SOON_DAYS))
        departments = list((await db.execute(select(Department).order_by(col(Department.id)))).scalars())
        return await page("publication/index.html", db, user, rows=[(r, urgency_of(r.due_at, now, horizon))
                                                                    for r in rows],
                          total=total, f=f, pages=max(1, -(-total // PAGE_SIZE)), wide=user.role in WIDE_ROLES,
                          names={d.id: d.name for d in departments}, departments=departments, **_context())

    @get("/new", guards=[may_register])
    async def new_form(self, db: AsyncSession, user: User, kind: str = "") -> Template:
        return await self._form(db, user, None, {"kind": kind} if kind in rules.KINDS else {})

    async def _form(self, db: AsyncSession, user: User, error: GongkaiError | None, values: dict[str, Any],
                    status_code: int = 200) -> Template:
        departments = list((await db.execute(select(Department).where(col(Department.active))
                                             .order_by(col(Department.id)))).scalars())
        mine = departments if user.role == "office_head" else [d for d in departments if d.id == user.department_id]
        entries = list((await db.execute(select(CatalogueEntry).where(col(CatalogueEntry.active))
                                         .order_by(col(CatalogueEntry.name)).limit(500))).scalars())
        kind = values.get("kind") or "general"
        typed_channels = values.get("channels")
        if typed_channels is None:  # a fresh form: the kind's default channels
            chosen = list(rules.KINDS.get(kind, rules.KINDS["general"])[2]) if "title" not in values else []
        else:
            chosen = [typed_channels] if isinstance(typed_channels, str) else list(typed_channels)
        now_local = datetime.now(CST).strftime(LOCAL_FORMAT)
        return await page("publication/new.html", db, user, status_code=status_code, departments=mine,
                          entries=entries, error=error.message if error else None, errors=field_errors(error),
                          v=values, kind=kind, chosen=chosen, now_local=now_local,
                          form_key=values.get("form_key") or uuid.uuid4().hex, **_context())

    @post("/new", guards=[may_register])
    async def create(self, db: AsyncSession, state: State, user: User, data: Form) -> Redirect | Template:
        key = (forms.text(data, "form_key") or uuid.uuid4().hex)[:64]
        try:
            case_id, _new = await register(db, state, user, data, key=key)
        except (InvalidInput, PermissionDenied) as exc:
            return await self._form(db, user, exc, forms.typed(data), status_code=status_for(exc))
        return Redirect(f"/publication/{case_id}")

    async def _case(self, db: AsyncSession, user: User, case_id: str, refusal: Refusal | None = None) -> Template:
        row = await visible(db, user, case_id)
        view = PROCESS.view_of(row)
        now = datetime.now(CST)
        events = list((await db.execute(select(AuditEvent).where(col(AuditEvent.case_id) == case_id)
                                        .order_by(col(AuditEvent.at), col(AuditEvent.id)))).scalars())
        deadlines = list((await db.execute(select(Deadline).where(col(Deadline.case_id) == case_id)
                                           .order_by(col(Deadline.due_at)))).scalars())
        department = await db.get(Department, view.department_id)
        entry = await db.get(CatalogueEntry, view.catalogue_id) if view.catalogue_id else None
        return await page("publication/case.html", db, user, status_code=refusal.status if refusal else 200, row=row,
                          v=view, events=events, deadlines=deadlines, refusal=refusal, entry=entry,
                          department=department.name if department else "",
                          clock_states=await clock_states(db, deadlines, now),
                          actors=await actor_names(db, (e.actor for e in events)),
                          reviewers=await actor_names(db, (r.by for r in view.reviews)),
                          published={p.channel: p for p in view.published},
                          actions=ACTIONS.available(view, await actions.actor_of(db, user), now),
                          now_local=now.strftime(LOCAL_FORMAT), **_context())

    @get("/{case_id:str}")
    async def case(self, db: AsyncSession, user: User, case_id: str) -> Template:
        return await self._case(db, user, case_id)

    @post("/{case_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str, data: Form,
                  next: str | None = None) -> Redirect | Template:
        await visible(db, user, case_id)

        async def args() -> list[Any]:
            return args_for(action, data, await actions.actor_of(db, user))

        return await actions.submit(state, db, PROCESS, case_id, action, args, data,
                                    lambda refusal: self._case(db, user, case_id, refusal), next)


async def as_json(db: AsyncSession, user: User, case_id: str) -> dict[str, Any]:
    row = await visible(db, user, case_id)
    deadlines = list((await db.execute(select(Deadline).where(col(Deadline.case_id) == case_id)
                                       .order_by(col(Deadline.due_at)))).scalars())
    return {"id": row.id, "title": row.title, "kind": row.kind, "stage": row.stage,
            "department_id": row.department_id, "catalogue_id": row.catalogue_id, "channels": row.channels,
            "triggered_at": row.triggered_at, "published_at": row.published_at, "outcome": row.outcome,
            "source": row.source, "external_key": row.external_key, "version": row.version,
            "clocks": [{"rule": d.rule, "label": d.label, "amount": d.amount, "kind": d.kind, "due_at": d.due_at,
                        "state": d.state, "level": d.level} for d in deadlines],
            "state": row.state}


class PublicationApi(Controller):
    """Items opened by a business system (a licensing or penalty system, the meeting office's system).
    `external_key` is the system's own id of the thing: the same key again returns the item it opened
    (200), opening nothing twice. Times are ISO 8601; without an offset they are Beijing time."""

    path = "/api/publication"
    tags = ["publication"]

    @post("/", summary="Open a publication item (idempotent by external_key)", guards=[may_register])
    async def create(self, db: AsyncSession, state: State, user: User, data: dict[str, Any]) -> Response:
        external = forms.text(data, "external_key")
        if not external:
            raise InvalidInput("请提供业务系统中的唯一标识（external_key）", field="external_key")
        if len(external) > 100:
            raise InvalidInput("external_key 不能超过100个字符", field="external_key")
        case_id, new = await register(db, state, user, data, source="api", key="")
        await db.refresh(user)  # the wait for the projection rolled the session back
        return Response(await as_json(db, user, case_id), status_code=201 if new else 200)

    @get("/{case_id:str}", summary="A publication item with its clock")
    async def show(self, db: AsyncSession, user: User, case_id: str) -> dict[str, Any]:
        return await as_json(db, user, case_id)

    @post("/{case_id:str}/{action:str}", summary="Take a step on a publication item", status_code=200)
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str,
                  data: dict[str, Any] | None = None) -> dict[str, Any]:
        await visible(db, user, case_id)
        args = args_for(action, data or {}, await actions.actor_of(db, user))
        await actions.send(state, PROCESS, case_id, action, args)
        db.expunge_all()
        return await as_json(db, user, case_id)
