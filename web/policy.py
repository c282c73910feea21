"""Policy documents on the web: the drafting department's case page, and the sign-off queue of
heads and leaders (document and interpretation side by side, sign or return)."""

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
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.policy import PolicyInput
from gongkai import policy as rules
from gongkai.clock import CST
from gongkai.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound, PermissionDenied
from gongkai.intake import allocate
from models import AuditEvent, Deadline, Department, PolicyCase, User
from models.accounts import WIDE_ROLES
from web.deps import temporal_client
from web.disclosure.service import actor_of
from web.render import page
from web.updates import send_update
from web.visible import wait_visible
from workflows.policy import PolicyWorkflow
from workflows.policy_types import Draft, PolicyView

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
WIDE = WIDE_ROLES
QUEUE_STAGE = {"dept_head": {rules.Stage.SIGN_OFF, rules.Stage.OFFICE_REVIEW, rules.Stage.SECRECY_REVIEW},
               "leader": {rules.Stage.LEADER_SIGN_OFF}, "office_head": {rules.Stage.ATTRIBUTE_REVIEW}}


async def _general_office(db: AsyncSession) -> set[int]:
    return {d.id for d in (await db.execute(select(Department).where(Department.kind == "general_office"))).scalars()}


async def visible(db: AsyncSession, user: User, case_id: str) -> PolicyCase:
    row = await db.get(PolicyCase, case_id)
    if row is None:
        raise NotFound("政策文件不存在")
    if user.role in WIDE or user.department_id == row.department_id or (
            row.issuance == "government" and user.department_id in await _general_office(db)):
        return row
    raise PermissionDenied("无权查看其他部门的政策文件")


def queue_filter(user: User, general_office: set[int]):
    stages = QUEUE_STAGE.get(user.role, set())
    q = select(PolicyCase).where(PolicyCase.stage.in_([s.value for s in stages]))
    if user.role == "dept_head" and user.department_id in general_office:
        return select(PolicyCase).where(PolicyCase.stage == rules.Stage.OFFICE_REVIEW.value)
    if user.role == "dept_head":
        return q.where(PolicyCase.department_id == user.department_id,
                       PolicyCase.stage != rules.Stage.OFFICE_REVIEW.value)
    return q


async def send(state: State, db: AsyncSession, case_id: str, action: str, *args) -> PolicyView:
    return await send_update(state, db, PolicyCase, case_id, action, list(args), PolicyView)


def draft_from(data: dict[str, Any]) -> Draft:
    materials = data.get("materials") or []
    materials = materials if isinstance(materials, list) else [materials]
    text = lambda n: str(data.get(n) or "").strip()[:8000]  # noqa: E731
    return Draft(text("disclosure_mode"), text("disclosure_scope"), text("reasons"),
                 has_document=bool(text("document_text")), has_plan=bool(text("plan_text")),
                 materials=[m for m in materials if m], channels=text("channels"), document_text=text("document_text"),
                 plan_text=text("plan_text"), materials_text=text("materials_text"))


def args_for(action: str, data: dict[str, Any], user: User, row: PolicyCase) -> list:
    actor = actor_of(user)
    text = lambda n: str(data.get(n) or "").strip()  # noqa: E731
    yes = text("approve") in {"true", "1", "on"}
    today = datetime.now(CST).date().isoformat()
    try:
        version = int(text("version") or row.document_version)
    except ValueError:
        raise InvalidInput("版本号无效") from None
    return {
        "update_draft": lambda: [actor, draft_from(data)], "submit": lambda: [actor],
        "review_attribute": lambda: [actor, yes, text("comment")],
        "sign": lambda: [actor, version, yes, text("comment")],
        "office_review": lambda: [actor, yes, text("comment")],
        "leader_sign": lambda: [actor, version, yes, text("comment")],
        "secrecy_review": lambda: [actor, yes, text("comment")],
        "publish": lambda: [actor, text("day") or today, text("url")],
        "publish_interpretation": lambda: [actor, text("day") or today, text("url")],
        "record_website": lambda: [actor, text("url")], "add_note": lambda: [actor, text("text")],
        "close": lambda: [actor],
    }.get(action, lambda: (_ for _ in ()).throw(NotFound("未知操作")))()


class PolicyController(Controller):
    path = "/policy"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        q = select(PolicyCase).order_by(PolicyCase.updated_at.desc()).limit(200)
        if user.role not in WIDE:
            q = q.where(PolicyCase.department_id == user.department_id)
        rows = list((await db.execute(q)).scalars())
        departments = list((await db.execute(select(Department).where(Department.active))).scalars())
        returns = (await db.execute(select(PolicyCase.department_id, func.sum(PolicyCase.returns)).group_by(
            PolicyCase.department_id))).all()
        names = {d.id: d.name for d in departments}
        return await page("policy/index.html", db, user, rows=rows, stage_zh=rules.STAGE_ZH, issuance=rules.ISSUANCE,
                          form_key=uuid.uuid4().hex, error=None, departments=departments,
                          returns=[(names.get(d, "?"), int(n or 0)) for d, n in returns], names=names)

    @post("/new")
    async def new(self, db: AsyncSession, state: State, user: User, data: Form) -> Redirect:
        title = str(data.get("title") or "").strip()[:300]
        issuance = str(data.get("issuance") or "")
        if user.role not in {"officer", "dept_head"}:
            raise PermissionDenied("只有业务部门可以起草政策文件")
        if not title or issuance not in rules.ISSUANCE:
            raise InvalidInput("请填写文件标题并选择发文方式")
        case_id, _code, new = await allocate(db, str(data.get("form_key") or uuid.uuid4().hex)[:64], "policy", "PD")
        if new:
            client = await temporal_client(state)
            if client is None:
                raise Conflict("流程服务暂不可用，请稍后重试")
            co = data.get("co_issuers") or []
            co = [int(x) for x in (co if isinstance(co, list) else [co]) if str(x).isdigit()]
            try:
                follow_up = min(max(int(str(data.get("follow_up_days") or rules.DEFAULT_FOLLOW_UP_DAYS)), 7), 365)
            except ValueError:
                raise InvalidInput("提醒间隔应为天数") from None
            await client.start_workflow(PolicyWorkflow.run, PolicyInput(
                case_id, title, issuance, user.department_id, normative=data.get("normative") == "on",
                doc_number=str(data.get("doc_number") or "")[:100],
                co_issuers=co if issuance == "joint" else [], created_by=user.username, follow_up_days=follow_up),
                id=case_id, task_queue=state.task_queue)
        await wait_visible(db, PolicyCase, case_id)
        return Redirect(f"/policy/{case_id}")

    @get("/queue")
    async def queue(self, db: AsyncSession, user: User) -> Template:
        rows = list((await db.execute(queue_filter(user, await _general_office(db))
                                      .order_by(PolicyCase.updated_at))).scalars())
        now = datetime.now(CST)
        return await page("policy/queue.html", db, user, rows=rows, stage_zh=rules.STAGE_ZH, now=now,
                          materials_zh=rules.MATERIAL_KINDS, modes=rules.DISCLOSURE_MODES,
                          scopes=rules.DISCLOSURE_SCOPES)

    @get("/{case_id:str}")
    async def case(self, db: AsyncSession, user: User, case_id: str, error: str | None = None) -> Template:
        row = await visible(db, user, case_id)
        events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                        .order_by(AuditEvent.at, AuditEvent.id))).scalars())
        deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == case_id))).scalars())
        return await page("policy/case.html", db, user, row=row, s=row.state or {}, events=events,
                          deadlines=deadlines, stage_zh=rules.STAGE_ZH, issuance=rules.ISSUANCE,
                          modes=rules.DISCLOSURE_MODES, scopes=rules.DISCLOSURE_SCOPES,
                          materials_zh=rules.MATERIAL_KINDS, error=error,
                          today=datetime.now(CST).date().isoformat())

    @post("/{case_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, case_id: str, action: str, data: Form,
                  next: str | None = None) -> Redirect | Template:
        row = await visible(db, user, case_id)
        try:
            await send(state, db, case_id, action, *args_for(action, data, user, row))
        except (InvalidInput, Conflict, ActionNotAllowed) as exc:
            row = (await db.execute(select(PolicyCase).where(PolicyCase.id == case_id)
                                    .execution_options(populate_existing=True))).scalar_one()
            status = 400 if isinstance(exc, InvalidInput) else 409
            events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == case_id))).scalars())
            return await page("policy/case.html", db, user, status_code=status, row=row, s=row.state or {},
                              events=events, deadlines=[], stage_zh=rules.STAGE_ZH, issuance=rules.ISSUANCE,
                              modes=rules.DISCLOSURE_MODES, scopes=rules.DISCLOSURE_SCOPES,
                              materials_zh=rules.MATERIAL_KINDS, error=exc.message,
                              today=datetime.now(CST).date().isoformat())
        return Redirect(next if next and next.startswith("/") and not next.startswith("//") else f"/policy/{case_id}")
