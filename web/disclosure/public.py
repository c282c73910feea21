"""The applicant's side, no login: the request form, the receipt, the status page, withdrawal
(asked for, confirmed, then done)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.disclosure import DisclosureInput
from gongkai import blobs
from gongkai import disclosure as process_rules
from gongkai.disclosure import (
    APPLICANT_TYPES,
    BEFORE_REPLY,
    ID_DOC_TYPES,
    PROVISION_CHANNELS,
    PROVISION_FORMS,
    STAGE_ZH,
    Stage,
)
from gongkai.errors import Conflict, GongkaiError, InvalidInput, NotFound, TooManyAttempts
from gongkai.intake import allocate, code_matches, fingerprint
from gongkai.logs import get_logger
from gongkai.office import load_office
from gongkai.roles import APPLICANT, DepartmentKind
from gongkai.rule_store import current_book
from models import AuditEvent, Deadline, Department, DisclosureAttachment, DisclosureRequest, IntakeKey, Letter
from models.disclosure import REPLY
from web import actions, forms
from web.deps import temporal_client
from web.disclosure import correction
from web.disclosure.forms import parse_request_form, read_uploads, save_uploads, store_uploads
from web.disclosure.letters import case_letter, letter_ref, pdf_response
from web.disclosure.service import PROCESS, now_utc, start
from web.downloads import download
from web.errors import status_for
from web.render import beijing, page
from web.throttle import client_address, retry_after
from web.visible import NotYetShown, wait_visible

log = get_logger(__name__)
SUMMARY_CHARS = 80  # of the request's text on the receipt



def _options() -> dict:
    return {"applicant_types": APPLICANT_TYPES, "id_doc_types": ID_DOC_TYPES, "provision_forms": PROVISION_FORMS,
            "provision_channels": PROVISION_CHANNELS}


async def status_context(db: AsyncSession, row: DisclosureRequest) -> dict[str, Any]:
    """Only what the applicant may see: stage, legal deadline, what is expected, public letters,
    the corrections they sent (and whether they may send one now)."""
    reply = await db.get(Deadline, f"{row.id}/reply")
    letters = list((await db.execute(select(Letter).where(Letter.case_id == row.id, Letter.public)
                                     .order_by(Letter.id))).scalars())
    view = PROCESS.view_of(row) if row.state else None
    now = now_utc()
    shown = correction.context(view, reply, now) if view else {}
    return {"row": row, "stage_zh": STAGE_ZH[Stage(row.stage)], "reply": reply, "letters": letters,
            "beijing": beijing, "can_withdraw": row.stage in {s.value for s in BEFORE_REPLY},
            "can_correct": view is not None and PROCESS.actions.allows("submit_correction", view, APPLICANT, now),
            "correction_text": "", "correction_error": None,
            "reply_files": await _reply_files(db, row), **shown}


async def _reply_files(db: AsyncSession, row: DisclosureRequest) -> list[DisclosureAttachment]:
    """The documents the reply discloses, once it is sent (a draft's are not the applicant's yet)."""
    if row.replied_at is None:
        return []
    return list((await db.execute(select(DisclosureAttachment).where(
        DisclosureAttachment.request_id == row.id, DisclosureAttachment.purpose == REPLY)
        .order_by(col(DisclosureAttachment.id)))).scalars())


class PublicController(Controller):
    path = "/apply"
    include_in_schema = False

    @get("/")
    async def form(self, db: AsyncSession) -> Template:
        return await page("disclosure/apply.html", db, None, form={"form_key": uuid.uuid4().hex}, error=None,
                          **_options())

    @post("/")
    async def submit(
        self, request: Request, db: AsyncSession, state: State,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        try:
            form = await parse_request_form(data, public=True)
        except InvalidInput as exc:
            return await page("disclosure/apply.html", db, None, status_code=400, form=values, error=exc.message,
                              errors=exc.detail.get("errors", {}), kept=exc.detail.get("uploads", []), **_options())
        if await db.get(IntakeKey, form.key) is None:
            await state.throttles.intake(client_address(request))
        # The same content again (back, then submit a fresh copy of the form) is the same request.
        content = fingerprint(state.settings.secret_key, form.applicant.name, form.applicant.id_doc_number,
                              form.description)
        request_id, query_code, new = await allocate(db, form.key, with_code=True, content=content)
        if new:
            office = (await db.execute(select(Department.id).where(
                Department.kind == DepartmentKind.OPENNESS_OFFICE, Department.active).order_by(Department.id))
            ).scalars().first()
            if office is None:
                raise NotFound("尚未设置政务公开办，暂不能受理网上申请")
            inp = DisclosureInput(
                request_id=request_id, idempotency_key=form.key, query_code_hash="",
                intake_channel="online", submitted_at=now_utc(), applicant=form.applicant,
                description=form.description, provision_form=form.provision_form,
                provision_channel=form.provision_channel, department_id=office, attachments=store_uploads(form),
                rules=await current_book(db, process_rules.RULES),
            )
            await start(await temporal_client(state), state.task_queue, inp)
        await wait_visible(db, DisclosureRequest, request_id)
        row = await db.get(DisclosureRequest, request_id)
        assert row is not None  # just shown
        summary = row.description if len(row.description) <= SUMMARY_CHARS else row.description[:SUMMARY_CHARS] + "……"
        receipt = (await db.execute(select(Letter).where(Letter.case_id == request_id, Letter.kind == "receipt",
                                                         Letter.public))).scalars().first()
        return await page("disclosure/receipt.html", db, None, request_id=request_id, query_code=query_code,
                          row=row, summary=summary, office=await load_office(db), beijing=beijing, receipt=receipt)


class TrackController(Controller):
    path = "/track"
    include_in_schema = False

    async def _lookup(self, request: Request, db: AsyncSession, state: State, code: str, query_code: str
                      ) -> DisclosureRequest:
        """The request the code pair opens. Wrong pairs are limited per address and per case
        (web/throttle.py), checked before the code is; the codes are never logged."""
        case_id, client = code.strip().upper()[:32], client_address(request)
        attempt = await state.throttles.track(client, case_id)
        row = await db.get(DisclosureRequest, case_id)
        if not await code_matches(db, row.id if row else "", query_code) or row is None:
            log.info("track_failed", client=client, case=row.id if row else None)
            raise InvalidInput("受理编号或查询码不正确")
        await attempt.succeeded()
        return row

    @get("/")
    async def form(self, db: AsyncSession) -> Template:
        return await page("disclosure/track.html", db, None, error=None, code="", query_code="")

    @post("/")
    async def lookup(self, request: Request, db: AsyncSession, state: State,
                     data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        code, query_code = data.get("code", ""), data.get("query_code", "")
        try:
            row = await self._lookup(request, db, state, code, query_code)
        except (InvalidInput, TooManyAttempts) as exc:
            response = await page("disclosure/track.html", db, None, status_code=status_for(exc), error=exc.message,
                                  code=code, query_code="")
            response.headers.update(retry_after(exc))
            return response
        return await page("disclosure/status.html", db, None, code=row.id, query_code=query_code, error=None,
                          **await status_context(db, row))

    @post("/letter", status_code=200)
    async def letter(self, request: Request, db: AsyncSession, state: State,
                     data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
        """A public letter of the request as PDF, with the codes (limited like every /track lookup)."""
        row = await self._lookup(request, db, state, data.get("code", ""), data.get("query_code", ""))
        number, _pdf = letter_ref(data.get("letter_id", "").strip())
        return await pdf_response(db, await case_letter(db, row.id, number, public_only=True))

    @post("/files/{file_id:int}", status_code=200)
    async def reply_file(self, request: Request, db: AsyncSession, state: State, file_id: int,
                         data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
                         ) -> Response:
        """A document the sent reply discloses, with the query code (POST: codes stay out of URLs);
        each download is in the case's record."""
        row = await self._lookup(request, db, state, data.get("code", ""), data.get("query_code", ""))
        f = await db.get(DisclosureAttachment, file_id)
        if f is None or f.request_id != row.id or f.purpose != REPLY or row.replied_at is None:
            raise NotFound("附件不存在")
        content = blobs.read(f.sha256)
        db.add(AuditEvent(key=f"{row.id}/reply_file_downloaded/{uuid.uuid4().hex}", case_id=row.id,
                          actor=APPLICANT.username, action="reply_file_downloaded",
                          summary=f"申请人下载答复附件（第 {f.id} 号）", detail={"file_id": f.id}))
        await db.commit()
        log.info("reply_file_downloaded", case_id=row.id, file_id=f.id)
        return download(content, f.filename, f.content_type)

    @post("/withdraw/confirm")
    async def confirm_withdrawal(self, request: Request, db: AsyncSession, state: State,
                                 data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
                                 ) -> Template:
        """What withdrawing means, before it is done: 确认撤回 or 取消."""
        return await self._confirm_page(request, db, state, data)

    async def _confirm_page(self, request: Request, db: AsyncSession, state: State, data: dict[str, str]
                            ) -> Template:
        code, query_code = data.get("code", ""), data.get("query_code", "")
        row = await self._lookup(request, db, state, code, query_code)
        try:
            _withdrawable(row)
        except Conflict as exc:
            return await page("disclosure/status.html", db, None, status_code=status_for(exc), code=row.id,
                              query_code=query_code, error=exc.message, **await status_context(db, row))
        return await page("disclosure/withdraw_confirm.html", db, None, row=row, code=row.id, query_code=query_code,
                          reason=forms.text(data, "reason")[:200], stage_zh=STAGE_ZH[Stage(row.stage)])

    @post("/withdraw")
    async def withdraw(self, request: Request, db: AsyncSession, state: State,
                       data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        if data.get("confirmed") != "yes":  # a form from before the confirmation step: ask first
            return await self._confirm_page(request, db, state, data)
        code, query_code = data.get("code", ""), data.get("query_code", "")
        row = await self._lookup(request, db, state, code, query_code)
        refused: GongkaiError | None = None
        status = 200
        try:
            _withdrawable(row)  # a second click or a stale form: said plainly, before any update
            await actions.send(state, PROCESS, row.id, "withdraw",
                               [APPLICANT, forms.text(data, "reason") or "申请人主动撤回"])
        except NotYetShown as exc:  # taken; the page is not updated yet
            refused, status = exc, 202
        except actions.REFUSED as exc:
            refused, status = exc, status_for(exc)
        db.expunge_all()  # read the request again: the withdrawal changed it
        row = await db.get(DisclosureRequest, row.id) or row
        return await page("disclosure/status.html", db, None, status_code=status,
                          code=row.id, query_code=query_code, error=refused.message if refused else None,
                          **await status_context(db, row))

    @post("/correction")
    async def correct(self, request: Request, db: AsyncSession, state: State,
                      data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> Template:
        """The corrected application (text and files) while the correction period runs. Refused, the
        status page again with the message beside the form and the text as typed."""
        code, query_code = forms.text(data, "code"), forms.text(data, "query_code")
        row = await self._lookup(request, db, state, code, query_code)
        text = forms.text(data, "correction_text")
        refused = None
        try:
            files = save_uploads(await read_uploads(data))
            await actions.send(state, PROCESS, row.id, "submit_correction", [APPLICANT, text, files])
        except actions.REFUSED as exc:
            refused = exc
        db.expunge_all()  # read the request again: the submission changed it
        row = await db.get(DisclosureRequest, row.id) or row
        context = await status_context(db, row)
        if refused and context["can_correct"]:  # beside the form, with the text as typed
            context.update(correction_text=text, correction_error=refused.message)
        error = refused.message if refused and not context["can_correct"] else None  # no form to show it by
        return await page("disclosure/status.html", db, None, status_code=status_for(refused) if refused else 200,
                          code=row.id, query_code=query_code, error=error, **context)


def _withdrawable(row: DisclosureRequest) -> None:
    if row.stage == Stage.WITHDRAWN:
        raise Conflict("该申请已撤回，无需再次撤回")
    if row.stage not in {s.value for s in BEFORE_REPLY}:
        raise Conflict(f"该申请当前为“{STAGE_ZH[Stage(row.stage)]}”，不能撤回")
