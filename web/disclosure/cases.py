"""Officers' side: registering a request received offline, the case page with its timeline,
deadlines, letters and the actions the user may take now, and the same actions as JSON."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.disclosure import DisclosureInput, ReviewRecord
from gongkai import blobs
from gongkai import disclosure as process_rules
from gongkai.clock import CST
from gongkai.disclosure import (
    APPLICANT_TYPES,
    CONSULTATION_KINDS,
    DISPOSITIONS,
    EXTENSION_ZH,
    ID_DOC_TYPES,
    INTAKE_CHANNELS,
    PROVISION_CHANNELS,
    PROVISION_FORMS,
    REASON_LABEL,
    REPLY_CHANNELS,
    REVIEW_KINDS,
    REVIEW_OUTCOMES,
    STAGE_ZH,
    SYSTEM_REASONS,
)
from gongkai.errors import InvalidInput, NotFound
from gongkai.intake import allocate
from gongkai.masking import sees_in_full
from gongkai.people import actor_names
from gongkai.roles import ROLE_ZH, Actor, Role
from gongkai.rule_store import current_book
from models import AuditEvent, Deadline, Department, DisclosureAttachment, DisclosureRequest, IntakeKey, Letter, User
from models.disclosure import APPLICATION, REPLY
from web import actions, forms
from web.actions import Refusal
from web.audit import audit
from web.clocks import clock_states
from web.decision import decision, opinions
from web.deps import temporal_client
from web.disclosure import correction
from web.disclosure import kept as kept_uploads
from web.disclosure.duplicates import Earlier, before_registering, repeated_by
from web.disclosure.forms import (
    RequestForm,
    parse_request_form,
    read_uploads,
    reply_uploads,
    save_uploads,
    store_uploads,
)
from web.disclosure.identity import handles, identity, record
from web.disclosure.letters import letter_view, seal_image
from web.disclosure.service import PROCESS, now_utc, start, visible
from web.downloads import download
from web.guards import REGISTER_REQUEST, requires
from web.register import lookup_keys
from web.register.query import viewer
from web.render import beijing, fragment, page
from web.visible import wait_visible

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
may_register = requires(REGISTER_REQUEST, "只有经办人或负责人可以登记申请")


def action_args(action: str, data: dict[str, Any], actor: Actor) -> list[Any]:
    """The update's arguments from a form or JSON body; the workflow checks them."""
    text = lambda name: forms.text(data, name)  # noqa: E731
    today = datetime.now(CST).date().isoformat()
    args: dict[str, Any] = {
        "claim": lambda: [], "release": lambda: [], "accept": lambda: [],
        "receive_correction": lambda: [text("day"), text("channel"), text("text"), []],
        "archive": lambda: [],
        "confirm_receipt": lambda: [text("day") or today],
        "assign": lambda: [forms.number(data, "officer_id", "经办人", default=0),
                           forms.number(data, "department_id", "办理部门", low=1, chosen=True)],
        "request_correction": lambda: [text("items"), forms.number(data, "period_wd", "补正期限", low=1, high=30)],
        "start_consultation": lambda: [text("party"), text("kind")],
        "end_consultation": lambda: [text("summary")],
        "request_extension": lambda: [forms.number(data, "days", "延长天数", low=1, high=20), text("reason")],
        "decide_extension": lambda: [decision(data, no="不同意"), text("comment")],
        "sign_off": lambda: [decision(data, no="退回修改"), text("comment")],
        "draft_reply": lambda: [text("disposition"), text("reason"), text("text")],
        "send_reply": lambda: [text("day") or today, text("channel")],
        "withdraw": lambda: [text("reason")],
        "record_review": lambda: [ReviewRecord(text("kind"), text("outcome"), text("note"))],
        "supervise": lambda: [text("note")],
    }
    if action not in args:
        raise actions.unknown_action()
    return [actor, *args[action]()]


async def case_context(db: AsyncSession, user: User, row: DisclosureRequest, *, reveal: bool = False
                       ) -> dict[str, Any]:
    """What the case page shows `user`; the applicant's numbers whole only to those handling it,
    or after `reveal` (which the caller has audited)."""
    deadlines = list((await db.execute(select(Deadline).where(Deadline.case_id == row.id)
                                       .order_by(col(Deadline.start_at)))).scalars())
    now = datetime.now(CST)
    view = PROCESS.view_of(row)
    reply = next((d for d in deadlines if d.id == f"{row.id}/reply"), None)
    if reply is not None and reply.state == "running":  # a calendar change moves it without a new projection
        view.reply_due_at = reply.due_at
    actor = await actions.actor_of(db, user)
    events = list((await db.execute(select(AuditEvent).where(AuditEvent.case_id == row.id)
                                    .order_by(col(AuditEvent.at), col(AuditEvent.id)))).scalars())
    letters = list((await db.execute(select(Letter).where(Letter.case_id == row.id)
                                     .order_by(col(Letter.id)))).scalars())
    files = await _files(db, row.id)
    reply_files = await _files(db, row.id, REPLY)
    departments = list((await db.execute(select(Department).where(col(Department.active))
                                         .order_by(col(Department.id)))).scalars())
    officers = list((await db.execute(select(User).where(col(User.active), User.role == Role.OFFICER)
                                      .order_by(col(User.department_id), col(User.id)))).scalars())
    names = {u.id: u.display_name for u in officers}
    if view.assignee_id and view.assignee_id not in names:
        assignee = await db.get(User, view.assignee_id)
        names[view.assignee_id] = assignee.display_name if assignee else "?"
    return {
        "row": row, "v": view, "stage_zh": STAGE_ZH, "deadlines": deadlines,
        "clock_states": await clock_states(db, deadlines, now),
        "actors": await actor_names(db, (e.actor for e in events)),
        "identity": identity(row, full=reveal or sees_in_full(actor, row.department_id, row.assignee_id)),
        "actions": PROCESS.actions.available(view, actor, now), "labels": {a: PROCESS.actions.label(a)
                                                                          for a in PROCESS.actions.actions},
        "events": events, "letters": letters, "files": files, "reply_files": reply_files, "departments": departments,
        "dept_names": {d.id: d.name for d in departments}, "officers": officers, "names": names,
        "beijing": beijing, "applicant_types": APPLICANT_TYPES, "id_doc_types": ID_DOC_TYPES,
        "intake_channels": INTAKE_CHANNELS, "provision_forms": PROVISION_FORMS,
        "provision_channels": PROVISION_CHANNELS, "reply_channels": REPLY_CHANNELS,
        "consultation_kinds": CONSULTATION_KINDS, "review_kinds": REVIEW_KINDS, "review_outcomes": REVIEW_OUTCOMES,
        "extension_zh": EXTENSION_ZH, "dispositions": DISPOSITIONS, "system_reasons": SYSTEM_REASONS,
        "reason_label": REASON_LABEL, "today": now.date().isoformat(), "role_zh": ROLE_ZH,
        "correction_files": await correction.correction_files(db, row.id),
        "receipt_day": correction.receipt_day(view, now), **correction.context(view, reply, now),
        "earlier": await repeated_by(db, await viewer(db, user), row), "opinions": await opinions(db, events),
    }


async def _files(db: AsyncSession, request_id: str, purpose: str = APPLICATION) -> list[DisclosureAttachment]:
    """The applicant's files (ID copies), or the reply's."""
    return list((await db.execute(select(DisclosureAttachment).where(
        DisclosureAttachment.request_id == request_id, DisclosureAttachment.purpose == purpose)
        .order_by(col(DisclosureAttachment.id)))).scalars())


def _draft_form(form: Any) -> tuple[dict[str, Any], list[Any]]:
    """A reply draft's fields (multipart, for its files; url-encoded from older pages) and its uploads."""
    data: dict[str, Any] = {k: form.get(k) for k in form if k not in {"reply_files", "keep_file"}}
    data = {k: v for k, v in data.items() if isinstance(v, str)}
    data["keep_file"] = [v for v in form.getall("keep_file", []) if isinstance(v, str)]
    return data, [u for u in form.getall("reply_files", []) if isinstance(u, UploadFile)]


class CaseController(Controller):
    path = "/disclosure"
    include_in_schema = False

    async def _register_page(self, db: AsyncSession, user: User, form: dict | None = None,
                             refusal: InvalidInput | None = None, status_code: int = 200,
                             duplicates: list[Earlier] | None = None,
                             kept: list[dict[str, Any]] | None = None) -> Template:
        departments = list((await db.execute(select(Department).where(col(Department.active))
                                             .order_by(col(Department.id)))).scalars())
        return await page("disclosure/register.html", db, user, status_code=status_code, departments=departments,
                          form=form or {"form_key": uuid.uuid4().hex, "department_id": str(user.department_id),
                                        "received_date": datetime.now(CST).date().isoformat()},
                          error=refusal.message if refusal else None, error_field=refusal.field if refusal else None,
                          errors=refusal.detail.get("errors", {}) if refusal else {},
                          kept=refusal.detail.get("uploads", []) if refusal else kept or [],
                          applicant_types=APPLICANT_TYPES,
                          id_doc_types=ID_DOC_TYPES, intake_channels=INTAKE_CHANNELS, provision_forms=PROVISION_FORMS,
                          provision_channels=PROVISION_CHANNELS, duplicates=duplicates or [])

    @get("/new", guards=[may_register])
    async def register_form(self, db: AsyncSession, user: User) -> Template:
        return await self._register_page(db, user)

    @post("/new", guards=[may_register])
    async def register(self, db: AsyncSession, state: State, user: User,
                       data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
                       ) -> Template | Redirect:
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        form: RequestForm | None = None
        try:
            form = await parse_request_form(data, public=False)
            dept = await db.get(Department, form.department_id)
            if dept is None or not dept.active:
                raise InvalidInput("办理部门不存在或已停用", field="department_id")
            if user.role != Role.OFFICE_HEAD and dept.id != user.department_id:
                raise InvalidInput("只能登记到本部门办理；需要其他部门办理的，请登记后转办", field="department_id")
        except InvalidInput as exc:
            if "uploads" not in exc.detail and form is not None:  # refused after parsing: keep its files
                exc.detail["uploads"] = kept_uploads.keep(form.uploads)
            return await self._register_page(db, user, values, exc, 400)
        # 重复申请 (GIR Art. 36(6)): warn before registering, unless the officer has seen the warning
        # and chose 仍然登记, or this very form already made its request (a resubmission).
        confirmed = forms.flag(data, "confirm_duplicate")
        earlier: list[Earlier] = []
        if await db.get(IntakeKey, form.key) is None:
            a = form.applicant
            earlier = await before_registering(db, lookup_keys(state), await viewer(db, user), name=a.name,
                                               id_number=a.id_doc_number, phone=a.phone, description=form.description)
            if earlier and not confirmed:  # the files come back with the warning, kept for the next try
                return await self._register_page(db, user, values, status_code=409, duplicates=earlier,
                                                 kept=kept_uploads.keep(form.uploads))
        # Allocating commits and the wait reads afresh: both in their own session, so this page's
        # objects (the user) stay loaded for the answer.
        async with state.session_factory() as own:
            request_id, query_code, new = await allocate(own, form.key, with_code=True)
        if new:
            assert form.department_id is not None
            await start(await temporal_client(state), state.task_queue, DisclosureInput(
                request_id=request_id, idempotency_key=form.key, query_code_hash="",
                intake_channel=form.intake_channel, submitted_at=now_utc(), applicant=form.applicant,
                description=form.description, provision_form=form.provision_form,
                provision_channel=form.provision_channel, department_id=form.department_id,
                received_date=form.received_date, registered_by=user.username, attachments=store_uploads(form),
                rules=await current_book(db, process_rules.RULES)))
        async with state.session_factory() as own:
            await wait_visible(own, DisclosureRequest, request_id)
            if new and earlier:  # the case's record keeps that the officer registered it despite the warning
                audit(own, user, request_id, "duplicate_confirmed",
                      "重复申请提示后仍然登记（较早的申请：" + "、".join(e.id for e in earlier) + "）",
                      earlier=[e.id for e in earlier])
                await own.commit()
        # The code is shown once, in this answer: never in a URL (browser history, logs, Referer).
        shown = await self._case(db, user, request_id, query_code=query_code)
        shown.status_code, shown.headers["Location"] = 201, f"/disclosure/{request_id}"
        return shown

    async def _case(self, db: AsyncSession, user: User, request_id: str, refusal: Refusal | None = None,
                    query_code: str | None = None, reveal: bool = False) -> Template:
        row = await visible(db, user, request_id)
        return await page("disclosure/case.html", db, user, status_code=refusal.status if refusal else 200,
                          query_code=query_code, refusal=refusal, **await case_context(db, user, row, reveal=reveal))

    @get("/{request_id:str}")
    async def case(self, db: AsyncSession, user: User, request_id: str) -> Template:
        return await self._case(db, user, request_id)

    @post("/{request_id:str}/reveal")
    async def reveal(self, request: Request, db: AsyncSession, user: User, request_id: str) -> Template:
        """显示完整信息: the applicant's numbers whole, for anyone who may see the request; audited.
        htmx swaps in the applicant's block; without it the whole page comes back."""
        row = await visible(db, user, request_id)
        await record(db, user, row, "identity_revealed", "显示完整信息（申请人证件号码、联系电话、附件）")
        if request.headers.get("hx-request"):
            shown = fragment("disclosure/_identity.html", user, row=row, identity=identity(row, full=True),
                             id_doc_types=ID_DOC_TYPES, files=await _files(db, row.id))
        else:
            shown = await self._case(db, user, request_id, reveal=True)
        shown.headers["Cache-Control"] = "no-store"
        return shown

    @post("/{request_id:str}/correction/receive")
    async def receive_correction(self, db: AsyncSession, state: State, user: User, request_id: str,
                                 data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
                                 ) -> Template | Redirect:
        """登记已补正, with the receipt date, how it came and, by post or in person, its content and scan
        (a form of its own: it carries files)."""
        await visible(db, user, request_id)
        values = {k: v for k, v in data.items() if isinstance(v, str)}

        async def args() -> list[Any]:
            files = save_uploads(await read_uploads(data))
            return [await actions.actor_of(db, user), forms.text(data, "day"), forms.text(data, "channel"),
                    forms.text(data, "text"), files]

        return await actions.submit(state, db, PROCESS, request_id, "receive_correction", args, values,
                                    lambda refusal: self._case(db, user, request_id, refusal))

    @post("/{request_id:str}/draft_reply")
    async def draft_reply(self, request: Request, db: AsyncSession, state: State, user: User, request_id: str,
                          next: str | None = None) -> Template | Redirect:
        """起草答复 with the documents it discloses: those of the draft before that stay ticked, and
        new uploads (checked by their contents), together the reply's files."""
        await visible(db, user, request_id)
        data, uploads = _draft_form(await request.form())

        async def args() -> list[Any]:
            row = await visible(db, user, request_id)
            keep = set(data["keep_file"])
            kept = [f for f in PROCESS.view_of(row).reply_files if f.sha256 in keep]
            added = await reply_uploads(uploads)
            return [*action_args("draft_reply", data, await actions.actor_of(db, user)), kept + added]

        return await actions.submit(state, db, PROCESS, request_id, "draft_reply", args, data,
                                    lambda refusal: self._case(db, user, request_id, refusal), next)

    @post("/{request_id:str}/{action:str}")
    async def act(self, db: AsyncSession, state: State, user: User, request_id: str, action: str,
                  data: Form, next: str | None = None) -> Template | Redirect:
        await visible(db, user, request_id)

        async def args() -> list[Any]:
            return action_args(action, data, await actions.actor_of(db, user))

        return await actions.submit(state, db, PROCESS, request_id, action, args, data,
                                    lambda refusal: self._case(db, user, request_id, refusal), next)

    @get("/{request_id:str}/letters/{letter_id:str}")
    async def letter(self, db: AsyncSession, user: User, request_id: str, letter_id: str) -> Template | Response:
        """The letter on screen (`12`), or its PDF (`12.pdf`)."""
        await visible(db, user, request_id)
        return await letter_view(db, "/disclosure", request_id, letter_id)

    @get("/{request_id:str}/letters/{letter_id:str}/seal")
    async def letter_seal(self, db: AsyncSession, user: User, request_id: str, letter_id: str) -> Response:
        """The seal a letter was issued with, for its screen view."""
        await visible(db, user, request_id)
        return await seal_image(db, request_id, letter_id)

    @get("/{request_id:str}/files/{file_id:int}")
    async def file(self, db: AsyncSession, user: User, request_id: str, file_id: int) -> Response:
        row = await visible(db, user, request_id)
        f = await db.get(DisclosureAttachment, file_id)
        if f is None or f.request_id != request_id:
            raise NotFound("附件不存在")
        if f.purpose != REPLY and not await handles(db, user, row):  # ID copies, in corrections too
            # an ID copy shows what masking hides: each download is recorded
            await record(db, user, row, "attachment_downloaded", f"下载附件（第 {f.id} 号）", file_id=f.id)
        return download(blobs.read(f.sha256), f.filename, f.content_type)


class DisclosureApi(Controller):
    path = "/api/disclosure"
    tags = ["disclosure"]

    @get("/{request_id:str}", summary="A disclosure request as the officer sees it")
    async def show(self, db: AsyncSession, user: User, request_id: str) -> dict[str, Any]:
        row = await visible(db, user, request_id)
        reply = await db.get(Deadline, f"{request_id}/reply")
        return {"id": row.id, "stage": row.stage, "department_id": row.department_id,
                "assignee_id": row.assignee_id, "received_date": row.received_date,
                "reply_due_at": reply.due_at if reply else None, "reply_deadline": reply.state if reply else None,
                "disposition": row.disposition, "reason": row.reason, "version": row.version, "state": row.state}

    @post("/{request_id:str}/{action:str}", summary="Take an action on a disclosure request", status_code=200)
    async def act(self, db: AsyncSession, state: State, user: User, request_id: str, action: str,
                  data: dict[str, Any] | None = None) -> dict[str, Any]:
        await visible(db, user, request_id)
        args = action_args(action, data or {}, await actions.actor_of(db, user))
        return asdict(await actions.send(state, PROCESS, request_id, action, args))
