"""Policy documents on the web: the drafting department's case page (the sign-off queue of heads and
leaders is web/signoff.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.policy import ACTIONS, WORKFLOW, Draft, PolicyInput, PolicyView, website_instant
from gongkai import policy as rules
from gongkai import publication
from gongkai.clock import CST
from gongkai.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gongkai.intake import allocate
from gongkai.people import actor_names
from gongkai.roles import WIDE_ROLES, Actor, DepartmentKind
from gongkai.rule_store import current_book
from models import AuditEvent, Deadline, Department, PolicyCase, PublicationItem, User
from web import actions, forms
from web.actions import UNAVAILABLE, Process, Refusal
from web.clocks import clock_states
from web.decision import decision, opinions
from web.deps import temporal_client
from web.guards import DRAFT_POLICY, requires
from web.render import page
from web.visible import wait_visible

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PROCESS = Process("policy", "政策文件", "/policy", PolicyCase, PolicyView, ACTIONS)
# The sign-offs a queue holds: where each waits, and which action answers it.
APPROVALS = ("review_attribute", "sign", "office_review", "leader_sign", "secrecy_review")
APPROVAL_AT = {stage: name for name in APPROVALS for stage in ACTIONS[name].stages}
may_draft = requires(DRAFT_POLICY, "只有业务部门可以起草政策文件")


async def visible(db: AsyncSession, user: User, case_id: str) -> PolicyCase:
    row = await db.get(PolicyCase, case_id)
    if row is None:
        raise NotFound("政策文件不存在")
    if user.role in WIDE_ROLES or user.department_id == row.department_id:
        return row
    if row.issuance == "government" and (await db.get(Department, user.department_id) or Department()).kind \
            == DepartmentKind.GENERAL_OFFICE:
        return row
    raise PermissionDenied("无权查看其他部门的政策文件")


def draft_from(data: dict[str, Any]) -> Draft:
    text = lambda n: forms.text(data, n)  # noqa: E731
    return Draft(text("disclosure_mode"), text("disclosure_scope"), text("reasons"),
                 has_document=bool(text("document_text")), has_plan=bool(text("plan_text")),
                 materials=forms.strings(data, "materials"), channels=text("channels"),
                 document_text=text("document_text"), plan_text=text("plan_text"),
                 materials_text=text("materials_text"))


def _typed_anew(data: dict[str, Any], row: PolicyCase) -> bool:
    """Whether the drafting form holds other than the saved draft (unreadable input: the save says why)."""
    try:
        return draft_from(data) != PROCESS.view_of(row).draft
    except (InvalidInput, Conflict):
        return True


def args_for(action: str, data: dict[str, Any], actor: Actor, row: PolicyCase) -> list[Any]:
    text = lambda n: forms.text(data, n)  # noqa: E731
    yes = lambda: decision(data)  # noqa: E731
    now = datetime.now(CST).replace(second=0, microsecond=0)
    today = now.date().isoformat()
    version = lambda: forms.number(data, "version", "版本号", default=row.document_version)  # noqa: E731
    args: dict[str, Any] = {
        "update_draft": lambda: [draft_from(data)], "submit": lambda: [],
        "review_attribute": lambda: [yes(), text("comment")],
        "sign": lambda: [version(), yes(), text("comment")],
        "office_review": lambda: [yes(), text("comment")],
        "leader_sign": lambda: [version(), yes(), text("comment")],
        "secrecy_review": lambda: [yes(), text("comment")],
        "publish": lambda: [text("day") or today, text("url")],
        "publish_interpretation": lambda: [text("day") or today, text("url")],
        "record_website": lambda: [text("url"), forms.instant(data, "at", "网站发布时间", default=now).isoformat()],
        "add_note": lambda: [text("text")], "close": lambda: [],
    }
    if action not in args:
        raise actions.unknown_action()
    return [actor, *args[action]()]


def _options() -> dict[str, Any]:
    return {"stage_zh": rules.STAGE_ZH, "issuance": rules.ISSUANCE, "modes": rules.DISCLOSURE_MODES,
            "scopes": rules.DISCLOSURE_SCOPES, "materials_zh": rules.MATERIAL_KINDS,
            "labels": {a: ACTIONS.label(a) for a in ACTIONS.actions}, "approval_at": APPROVAL_AT}


class PolicyController(Controller):
    path = "/policy"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        q = select(PolicyCase).order_by(col(PolicyCase.updated_at).desc()).limit(200)
        if user.role not in WIDE_ROLES:
            q = q.where(PolicyCase.department_id == user.department_id)
        rows = list((await db.execute(q)).scalars())
        departments = list((await db.execute(select(Department).where(col(Department.active)))).scalars())
        returns = (await db.execute(select(PolicyCase.department_id, func.sum(PolicyCase.returns)).group_by(
            col(PolicyCase.department_id)))).all()
        names = {d.id: d.name for d in departments}
        return await page("policy/index.html", db, user, rows=rows, form_key=uuid.uuid4().hex, error=None,
                          departments=departments, returns=[(names.get(d, "?"), int(n or 0)) for d, n in returns],
                          names=names, **_options())

    @post("/new", guards=[may_draft])
    async def new(self, db: AsyncSession, state: State, user: User, data: Form) -> Redirect:
        title = forms.text(data, "title")
        issuance = forms.text(data, "issuance")
        if not title or issuance not in rules.ISSUANCE:
            raise InvalidInput("请填写文件标题并选择发文方式")
        if len(title) > 300:
            raise InvalidInput("文件标题不能超过300字", field="title")
        follow_up = forms.number(data, "follow_up_days", "提醒间隔天数", default=rules.DEFAULT_FOLLOW_UP_DAYS,
                                 low=rules.FOLLOW_UP_DAYS_RANGE[0], high=rules.FOLLOW_UP_DAYS_RANGE[1])
        co = forms.numbers(data, "co_issuers", "联合发文单位")
        case_id, _code, new = await allocate(db, (forms.text(data, "form_key") or uuid.uuid4().hex)[:64], "policy",
                                             "PD")
        if new:
            client = await temporal_client(state)
            if client is None:
                raise Conflict(UNAVAILABLE)
            office = (await db.execute(select(Department.id).where(
                Department.kind == DepartmentKind.GENERAL_OFFICE, col(Department.active)).order_by(
                col(Department.id)))).scalars().first() if issuance == "government" else None
            await client.start_workflow(WORKFLOW, PolicyInput(
                case_id, title, issuance, user.department_id, normative=forms.flag(data, "normative"),
                doc_number=forms.text(data, "doc_number")[:100], co_issuers=co if issuance == "joint" else [],
                created_by=user.username, follow_up_days=follow_up, reviewing_office=office,
                rules=await current_book(db, rules.RULES)), id=case_id,
                task_queue=state.task_queue)
        await wait_visible(db, PolicyCase, case_id)
        return Redirect(f"/policy/{case_id}")

    async def _case(self, db: AsyncSession, user: User, case_id: str, refusal: Refusal | None = None) -> Template:
        row = await visible(db, user, case_id)
        view = PROCESS.view_of(row)
        events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                        .order_by(col(AuditEvent.at), col(AuditEvent.id)))).scalars())
        deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == case_id))).scalars())
        now = datetime.now(CST)
        items = {i.id: i for i in (await db.execute(select(PublicationItem).where(
            col(PublicationItem.id).in_(view.items)))).scalars()} if view.items else {}
        return await page("policy/case.html", db, user, status_code=refusal.status if refusal else 200, row=row,
                          v=view, events=events, deadlines=deadlines, refusal=refusal,
                          clock_states=await clock_states(db, deadlines, now),
                          actors=await actor_names(db, (e.actor for e in events)),
                          opinions=await opinions(db, events),
                          actions=ACTIONS.available(view, await actions.actor_of(db, user), now),
                          today=now.date().isoformat(), now_local=now.strftime("%Y-%m-%dT%H:%M"),
                          website_at=website_instant(view.published.website_at), items=items,
                          item_stage_zh=publication.STAGE_ZH, item_outcome_zh=publication.OUTCOME_ZH, **_options())

    @get("/{case_id:str}")
    async def case(self, db: AsyncSession, user: User, case_id: str) -> Template:
        return await self._case(db, user, case_id)

    @post("/{case_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str, data: Form,
                  next: str | None = None) -> Redirect | Template:
        row = await visible(db, user, case_id)

        async def _args(name: str) -> list[Any]:
            return args_for(name, data, await actions.actor_of(db, user), row)

        show = lambda refusal: self._case(db, user, case_id, refusal)  # noqa: E731
        if action == "submit" and "document_text" in data and _typed_anew(data, row):
            # 报送审签 from the drafting form saves what was typed first (when it differs from the saved
            # draft); the gate judges the saved draft.
            saved = await actions.submit(state, db, PROCESS, case_id, "update_draft", lambda: _args("update_draft"),
                                         data, show)
            if not isinstance(saved, Redirect):
                return saved
        return await actions.submit(state, db, PROCESS, case_id, action, lambda: _args(action), data, show, next)
