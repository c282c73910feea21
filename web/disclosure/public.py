"""The applicant's side, no login: the request form, the receipt, the status page, withdrawal."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.disclosure import DisclosureInput
from gongkai.disclosure import (
    APPLICANT_TYPES,
    BEFORE_REPLY,
    ID_DOC_TYPES,
    PROVISION_CHANNELS,
    PROVISION_FORMS,
    STAGE_ZH,
    Stage,
)
from gongkai.errors import InvalidInput, NotFound, TooManyAttempts
from gongkai.intake import allocate, code_matches
from gongkai.logs import get_logger
from gongkai.roles import APPLICANT, DepartmentKind
from models import Deadline, Department, DisclosureRequest, IntakeKey, Letter
from web import actions, forms
from web.deps import temporal_client
from web.disclosure import correction
from web.disclosure.forms import parse_request_form, read_uploads, save_uploads, store_uploads
from web.disclosure.letters import case_letter, letter_ref, pdf_response
from web.disclosure.service import PROCESS, now_utc, start
from web.errors import status_for
from web.render import beijing, page
from web.throttle import client_address, retry_after
from web.visible import wait_visible

log = get_logger(__name__)


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
            "correction_text": "", "correction_error": None, **shown}


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
                              **_options())
        if await db.get(IntakeKey, form.key) is None:
            await state.throttles.intake(client_address(request))
        request_id, query_code, new = await allocate(db, form.key, with_code=True)
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
            )
            await start(await temporal_client(state), state.task_queue, inp)
        await wait_visible(db, DisclosureRequest, request_id)
        return await page("disclosure/receipt.html", db, None, request_id=request_id, query_code=query_code)


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

    @post("/withdraw")
    async def withdraw(self, request: Request, db: AsyncSession, state: State,
                       data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        code, query_code = data.get("code", ""), data.get("query_code", "")
        row = await self._lookup(request, db, state, code, query_code)
        refused = None
        try:
            await actions.send(state, PROCESS, row.id, "withdraw",
                               [APPLICANT, forms.text(data, "reason") or "申请人主动撤回"])
        except actions.REFUSED as exc:
            refused = exc
        db.expunge_all()  # read the request again: the withdrawal changed it
        row = await db.get(DisclosureRequest, row.id) or row
        return await page("disclosure/status.html", db, None, status_code=status_for(refused) if refused else 200,
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
