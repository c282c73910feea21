"""Officers' side: registering a request received offline, the case page with its timeline,
deadlines, letters and the actions the user may take now, and the same actions as JSON."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.disclosure import DisclosureInput
from gongkai import blobs
from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, working_days_left
from gongkai.disclosure import (
    ACTIONS_ZH,
    APPLICANT_TYPES,
    DISPOSITIONS,
    ID_DOC_TYPES,
    INTAKE_CHANNELS,
    PROVISION_CHANNELS,
    PROVISION_FORMS,
    REASON_LABEL,
    REPLY_CHANNELS,
    STAGE_ZH,
    SYSTEM_REASONS,
    Stage,
    available_actions,
)
from gongkai.errors import InvalidInput, NotFound, PermissionDenied
from models import AuditEvent, Deadline, Department, DisclosureAttachment, DisclosureRequest, Letter, User
from models.accounts import ROLE_ZH
from web.deps import temporal_client
from web.disclosure import service
from web.disclosure.forms import parse_request_form, store_uploads
from web.render import beijing, page
from workflows.disclosure_types import ReviewRecord

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _int(data: dict, name: str, what: str) -> int:
    try:
        return int(str(data.get(name, "")).strip())
    except ValueError:
        raise InvalidInput(f"{what}无效") from None


def action_args(action: str, data: dict[str, Any], user: User) -> list:
    """The update's arguments from a form or JSON body; the workflow validates them."""
    actor = service.actor_of(user)
    text = lambda name: str(data.get(name) or "").strip()  # noqa: E731
    flag = lambda name: str(data.get(name, "")).lower() in {"1", "true", "on", "yes", "approve"}  # noqa: E731
    if action in {"claim", "release", "accept", "receive_correction", "archive"}:
        return [actor]
    if action == "confirm_receipt":
        return [actor, text("day") or datetime.now(CST).date().isoformat()]
    if action == "assign":
        return [actor, _int(data, "officer_id", "经办人") if text("officer_id") else 0,
                _int(data, "department_id", "部门")]
    if action == "request_correction":
        return [actor, text("items"), _int(data, "period_wd", "补正期限")]
    if action == "start_consultation":
        return [actor, text("party"), text("kind")]
    if action in {"end_consultation"}:
        return [actor, text("summary")]
    if action == "request_extension":
        return [actor, _int(data, "days", "延长天数"), text("reason")]
    if action in {"decide_extension", "sign_off"}:
        return [actor, flag("approve"), text("comment")]
    if action == "draft_reply":
        return [actor, text("disposition"), text("reason"), text("text")]
    if action == "send_reply":
        return [actor, text("day") or datetime.now(CST).date().isoformat(), text("channel")]
    if action == "withdraw":
        return [actor, text("reason")]
    if action == "record_review":
        return [actor, ReviewRecord(text("kind"), text("outcome"), text("note"))]
    if action == "supervise":
        return [actor, text("note")]
    raise NotFound("未知操作")


async def case_context(db: AsyncSession, user: User, row: DisclosureRequest) -> dict[str, Any]:
    deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == row.id)
                                       .order_by(Deadline.start_at))).scalars())
    cal = await load_calendar(db)
    today = datetime.now(CST).date()
    countdown = {d.id: working_days_left(cal, today, d.last_day) for d in deadlines if d.last_day
                 and d.state == "running"}
    reply = next((d for d in deadlines if d.id == f"{row.id}/reply"), None)
    overdue = bool(reply and reply.due_at and reply.state == "running" and reply.due_at <= datetime.now(CST))
    state = row.state or {}
    actions = available_actions(
        Stage(row.stage), service.actor_of(user), department_id=row.department_id, assignee_id=row.assignee_id,
        extension_status=state.get("extension", {}).get("status", "none"), corrected=state.get("corrected", False),
        overdue=overdue)
    events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == row.id)
                                    .order_by(AuditEvent.at, AuditEvent.id))).scalars())
    letters = list((await db.execute(select(Letter).where(Letter.case_id == row.id).order_by(Letter.id))).scalars())
    files = list((await db.execute(select(DisclosureAttachment).where(
        DisclosureAttachment.request_id == row.id))).scalars())
    departments = list((await db.execute(select(Department).where(Department.active).order_by(Department.id))
                        ).scalars())
    officers = list((await db.execute(select(User).where(User.active, User.role == "officer")
                                      .order_by(User.department_id, User.id))).scalars())
    names = {u.id: u.display_name for u in officers}
    if row.assignee_id and row.assignee_id not in names:
        assignee = await db.get(User, row.assignee_id)
        names[row.assignee_id] = assignee.display_name if assignee else "?"
    return {
        "row": row, "state": state, "stage_zh": STAGE_ZH, "deadlines": deadlines, "countdown": countdown,
        "actions": actions, "actions_zh": ACTIONS_ZH, "events": events, "letters": letters, "files": files,
        "departments": departments, "dept_names": {d.id: d.name for d in departments}, "officers": officers,
        "names": names, "beijing": beijing, "applicant_types": APPLICANT_TYPES, "id_doc_types": ID_DOC_TYPES,
        "intake_channels": INTAKE_CHANNELS, "provision_forms": PROVISION_FORMS,
        "provision_channels": PROVISION_CHANNELS, "reply_channels": REPLY_CHANNELS,
        "dispositions": DISPOSITIONS, "system_reasons": SYSTEM_REASONS, "reason_label": REASON_LABEL,
        "today": datetime.now(CST).date().isoformat(), "role_zh": ROLE_ZH,
    }


class CaseController(Controller):
    path = "/disclosure"
    include_in_schema = False

    async def _register_page(self, db, user, form=None, error=None, status_code=200) -> Template:
        departments = list((await db.execute(select(Department).where(Department.active)
                                             .order_by(Department.id))).scalars())
        return await page("disclosure/register.html", db, user, status_code=status_code, departments=departments,
                          form=form or {"form_key": uuid.uuid4().hex, "department_id": str(user.department_id),
                                        "received_date": datetime.now(CST).date().isoformat()},
                          error=error, applicant_types=APPLICANT_TYPES, id_doc_types=ID_DOC_TYPES,
                          intake_channels=INTAKE_CHANNELS, provision_forms=PROVISION_FORMS,
                          provision_channels=PROVISION_CHANNELS)

    @get("/new")
    async def register_form(self, db: AsyncSession, user: User) -> Template:
        if user.role not in {"officer", "dept_head", "office_head"}:
            raise PermissionDenied("只有经办人或负责人可以登记申请")
        return await self._register_page(db, user)

    @post("/new")
    async def register(self, db: AsyncSession, state: State, user: User,
                       data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
                       ) -> Template | Redirect:
        if user.role not in {"officer", "dept_head", "office_head"}:
            raise PermissionDenied("只有经办人或负责人可以登记申请")
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        try:
            form = await parse_request_form(data, public=False)
            dept = await db.get(Department, form.department_id)
            if dept is None or not dept.active:
                raise InvalidInput("办理部门不存在或已停用")
            if user.role != "office_head" and dept.id != user.department_id:
                raise InvalidInput("只能登记到本部门办理；需要其他部门办理的，请登记后转办")
        except InvalidInput as exc:
            return await self._register_page(db, user, values, exc.message, 400)
        request_id, query_code, new = await service.allocate(db, form.key)
        if new:
            await service.start(await temporal_client(state), state.task_queue, DisclosureInput(
                request_id=request_id, idempotency_key=form.key, query_code_hash=service.hash_code(query_code),
                intake_channel=form.intake_channel, submitted_at=service.now_utc(), applicant=form.applicant,
                description=form.description, provision_form=form.provision_form,
                provision_channel=form.provision_channel, department_id=form.department_id,
                received_date=form.received_date, registered_by=user.username, attachments=store_uploads(form)))
        await service.wait_visible(db, request_id)
        return Redirect(f"/disclosure/{request_id}?query_code={query_code}")

    @get("/{request_id:str}")
    async def case(self, db: AsyncSession, user: User, request_id: str, query_code: str | None = None) -> Template:
        row = await service.get_visible(db, user, request_id)
        return await page("disclosure/case.html", db, user, query_code=query_code, error=None,
                          **await case_context(db, user, row))

    @post("/{request_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, request_id: str, action: str,
                  data: Form, next: str | None = None) -> Template | Redirect:
        row = await service.get_visible(db, user, request_id)
        try:
            await service.act(await temporal_client(state), db, request_id, action, *action_args(action, data, user))
        except (InvalidInput, service.Conflict) as exc:
            db.expire_all()
            return await page("disclosure/case.html", db, user, status_code=400 if isinstance(
                exc, InvalidInput) else 409, error=exc.message, query_code=None,
                **await case_context(db, user, row))
        return Redirect(next if next and next.startswith("/") and not next.startswith("//")
                        else f"/disclosure/{request_id}")

    @get("/{request_id:str}/letters/{letter_id:int}")
    async def letter(self, db: AsyncSession, user: User, request_id: str, letter_id: int) -> Template:
        await service.get_visible(db, user, request_id)
        letter = await db.get(Letter, letter_id)
        if letter is None or letter.case_id != request_id:
            raise NotFound("文书不存在")
        return Template("disclosure/letter.html", context={"letter": letter, "beijing": beijing})

    @get("/{request_id:str}/files/{file_id:int}")
    async def file(self, db: AsyncSession, user: User, request_id: str, file_id: int) -> Response:
        await service.get_visible(db, user, request_id)
        f = await db.get(DisclosureAttachment, file_id)
        if f is None or f.request_id != request_id:
            raise NotFound("附件不存在")
        return Response(blobs.read(f.sha256), media_type=f.content_type,
                        headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"})


class DisclosureApi(Controller):
    path = "/api/disclosure"
    tags = ["disclosure"]

    @get("/{request_id:str}", summary="A disclosure request as the officer sees it")
    async def show(self, db: AsyncSession, user: User, request_id: str) -> dict[str, Any]:
        row = await service.get_visible(db, user, request_id)
        reply = await db.get(Deadline, f"{request_id}/reply")
        return {"id": row.id, "stage": row.stage, "department_id": row.department_id,
                "assignee_id": row.assignee_id, "received_date": row.received_date,
                "reply_due_at": reply.due_at if reply else None, "reply_deadline": reply.state if reply else None,
                "disposition": row.disposition, "reason": row.reason, "version": row.version, "state": row.state}

    @post("/{request_id:str}/{action:str}", summary="Take an action on a disclosure request", status_code=200)
    async def act(self, db: AsyncSession, state: State, user: User, request_id: str, action: str,
                  data: dict[str, Any] | None = None) -> dict[str, Any]:
        await service.get_visible(db, user, request_id)
        view = await service.act(await temporal_client(state), db, request_id, action,
                                 *action_args(action, data or {}, user))
        return asdict(view)
