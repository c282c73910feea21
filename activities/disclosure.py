"""Disclosure-request activities: the request row with its intake, written once; the projection's
columns and letters (and the applicant's e-mail a receipt, correction notice or reply sends);
review records; supervision notices."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.converter import value_to_type

from activities.case import CaseActivities, day_start, iso_date
from activities.deadline import recipients
from activities.delivery import Outbox, receiver_zh
from activities.store import insert_once, next_letter_number
from contracts.case import CaseProjection, CaseStep, LetterSpec, StepResult
from contracts.disclosure import CreateInput, DisclosureView, ReviewInput, SuperviseInput, pending_corrections
from gongkai.applicant_mail import MAILED, TRACK_PATH, RequestFacts, applicant_notice, release_at_night
from gongkai.channels import ChannelKind
from gongkai.clock import local_date
from gongkai.disclosure import Stage, public_note
from gongkai.instants import deadline_text, instant_text
from gongkai.intake import FINGERPRINT
from gongkai.letters import doc_number, render_disclosure_letter, series
from gongkai.logs import bind, get_logger
from gongkai.lookup import ID_DOC, PHONE, LookupKeys
from gongkai.office import load_office
from gongkai.people import actor_names
from gongkai.roles import Role
from models import (
    AuditEvent,
    Deadline,
    Delivery,
    DisclosureAttachment,
    DisclosureRequest,
    DisclosureReview,
    IntakeKey,
    Notification,
    Task,
    User,
)
from models.disclosure import CORRECTION, REPLY

log = get_logger(__name__)
REPLIED_OR_ENDED = {"replied", "archived", "withdrawn", "abandoned"}


class DisclosureActivities(CaseActivities):
    PROCESS = "disclosure"
    MODEL = DisclosureRequest
    VIEW = DisclosureView
    CREATES_ROW = False  # disclosure.create writes it with the applicant's intake

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], lookup: LookupKeys,
                 outbox: Outbox | None = None) -> None:
        super().__init__(session_factory, outbox)
        self.lookup = lookup  # the keyed hashes of the applicant's numbers, for the register's search

    def row(self, view: DisclosureView) -> dict[str, Any]:
        values: dict[str, Any] = {
            "stage": view.stage.value, "department_id": view.department_id, "assignee_id": view.assignee_id,
            "received_date": iso_date(view.received_date), "correction_items": view.correction_items,
            "correction_due": iso_date(view.correction_due),
            "extension_days": view.extension.days if view.extension.status == "approved" else 0,
            "public_note": public_note(view.stage, view.correction_due, view.correction_items,
                                       submitted=bool(pending_corrections(view.corrections))),
            "closed_at": view.closed_at,
        }
        if view.draft.disposition and view.stage.value in REPLIED_OR_ENDED:
            values.update(disposition=view.draft.disposition, reason=view.draft.reason, reply_text=view.draft.text)
        if view.reply.date:
            values.update(replied_at=day_start(view.reply.date), reply_channel=view.reply.channel)
        return values

    async def issue_letter(self, session: AsyncSession, p: CaseProjection, view: DisclosureView,
                           letter: LetterSpec) -> dict[str, Any]:
        """The letter as the office issues it today: its 文号 (the next of its series, this year),
        the office's particulars and seal, and what the case says now."""
        row = await session.get(DisclosureRequest, p.case_id)
        assert row is not None  # the projection has just written it
        office = await load_office(session)
        year = local_date(p.at).year
        number = await next_letter_number(session, office.agency_code, year, series(letter.kind))
        doc_no = doc_number(office.agency_code, letter.kind, year, number)
        due_at = view.reply_due_at
        if due_at is None:
            reply = await session.get(Deadline, f"{p.case_id}/reply")
            due_at = reply.due_at if reply else None
        body = render_disclosure_letter(letter.kind, letter.title, row, view, office=office, doc_no=doc_no,
                                        due_at=due_at, now=p.at, seal=office.seal_sha256 is not None)
        return {"body": body, "doc_no": doc_no, "seal_sha256": office.seal_sha256}

    async def letter_messages(self, session: AsyncSession, p: CaseProjection, view: DisclosureView,
                              letter: LetterSpec) -> list[Delivery]:
        """The receipt, the correction notice and the reply also reach an applicant who gave an
        e-mail address: a short mail with the tracking code and the /track link (gongkai/applicant_mail).
        The address stays on the case; the sender reads it there."""
        outbox = self.outbox or Outbox.of()
        if not letter.public or series(letter.kind) not in MAILED or outbox.smtp is None:  # no mail server: none
            return []
        address = (await session.execute(select(DisclosureRequest.contact_email).where(
            DisclosureRequest.id == p.case_id))).scalar_one_or_none()
        if not address:
            return []
        facts = RequestFacts(p.case_id, view.received_date, view.reply_due_at, view.correction_items,
                             view.correction_due, view.draft.disposition, view.reply.channel, len(view.reply_files))
        notice = applicant_notice(series(letter.kind), facts, outbox.link_base + TRACK_PATH)
        if notice is None:
            return []
        title, body = notice
        mail = Delivery(key=f"{letter.key}/email/applicant", case_id=p.case_id, cause="applicant",
                        channel=ChannelKind.EMAIL, applicant=True, title=title, body=body,
                        release_at=release_at_night(p.at))
        if mail.release_at > p.at:  # the timeline says it waits, so nobody wonders where it is
            held = f"{receiver_zh(mail, '')}将于 {instant_text(mail.release_at)} 发送（夜间不发送）：{title}"
            await insert_once(session, AuditEvent(
                key=f"{mail.key}/held", case_id=p.case_id, actor="system", action="delivery_held", at=p.at,
                summary=held[:500], detail={"delivery": mail.key, "channel": mail.channel}))
        return [mail]

    async def write_more(self, session: AsyncSession, p: CaseProjection, view: DisclosureView) -> None:
        await self._correction_files(session, p, view)
        await self._reply_files(session, p, view)
        if view.stage is Stage.WITHDRAWN:  # asking again after withdrawing is a new request, not this one
            await session.execute(delete(IntakeKey).where(col(IntakeKey.request_id) == p.case_id,
                                                          col(IntakeKey.key).startswith(FINGERPRINT)))

    async def _correction_files(self, session: AsyncSession, p: CaseProjection, view: DisclosureView) -> None:
        """The files of each corrected application, as rows the case page lists and the file route
        serves (with its permission check and audit); each once."""
        wanted = {(n, f.sha256, f.filename): f for n, c in enumerate(view.corrections, 1) for f in c.files}
        if not wanted:
            return
        have = set((await session.execute(select(
            DisclosureAttachment.correction, DisclosureAttachment.sha256, DisclosureAttachment.filename).where(
            DisclosureAttachment.request_id == p.case_id, col(DisclosureAttachment.correction).is_not(None)))).all())
        for (n, sha, name), f in wanted.items():
            if (n, sha, name) not in have:
                session.add(DisclosureAttachment(request_id=p.case_id, filename=name, content_type=f.content_type,
                                                 size=f.size, sha256=sha, correction=n, purpose=CORRECTION))

    async def _reply_files(self, session: AsyncSession, p: CaseProjection, view: DisclosureView) -> None:
        """The reply's files as rows (purpose 'reply'), as the view lists them now: a redraft that
        replaced them removes the rows of those it dropped."""
        if not view.reply_files and view.stage is not Stage.SIGN_OFF:
            return  # only a draft (which enters sign-off) changes them: none to add, none dropped since
        rows = list((await session.execute(select(DisclosureAttachment).where(
            DisclosureAttachment.request_id == p.case_id, DisclosureAttachment.purpose == REPLY))).scalars())
        wanted = [(f.sha256, f.filename) for f in view.reply_files]
        for row in rows:
            if (row.sha256, row.filename) not in wanted:
                await session.delete(row)
        have = {(row.sha256, row.filename) for row in rows}
        for f in view.reply_files:
            if (f.sha256, f.filename) not in have:
                have.add((f.sha256, f.filename))
                session.add(DisclosureAttachment(request_id=p.case_id, filename=f.filename, content_type=f.content_type,
                                                 size=f.size, sha256=f.sha256, purpose=REPLY))

    @activity.defn(name="disclosure.project")
    async def project(self, p: CaseProjection) -> int | None:
        return await self.write(p)

    @activity.defn(name="disclosure.step")
    async def step(self, step: CaseStep) -> StepResult:
        return await self.run_step(step)

    @activity.defn(name="disclosure.create")
    async def create(self, inp: CreateInput) -> None:
        """The request row with the applicant's intake, written once (a retry finds it there): on its
        own for cases started before it came with the first step, and to restore a missing row."""
        bind(case_id=inp.data.request_id, workflow_id=inp.workflow_id)
        async with self.session_factory() as session:
            await self._create(session, inp)
            await session.commit()

    async def open_row(self, session: AsyncSession, opening: Any) -> None:
        # Through Temporal the intake arrives as its JSON (CaseStep.opening is untyped); called directly, as itself.
        inp = opening if isinstance(opening, CreateInput) else value_to_type(CreateInput, opening)
        await self._create(session, inp)

    async def _create(self, session: AsyncSession, inp: CreateInput) -> None:
        d = inp.data
        if not await insert_once(session, DisclosureRequest(
            id=d.request_id, year=inp.year, idempotency_key=d.idempotency_key,
            query_code_hash=d.query_code_hash, stage=inp.stage, intake_channel=d.intake_channel,
            submitted_at=d.submitted_at,
            received_date=date.fromisoformat(d.received_date) if d.received_date else None,
            applicant_type=d.applicant.type, applicant_name=d.applicant.name,
            id_doc_type=d.applicant.id_doc_type, id_doc_number=d.applicant.id_doc_number,
            contact_phone=d.applicant.phone, contact_email=d.applicant.email,
            id_doc_hash=self.lookup.digest(ID_DOC, d.applicant.id_doc_number),
            phone_hash=self.lookup.digest(PHONE, d.applicant.phone),
            contact_address=d.applicant.address, description=d.description,
            provision_form=d.provision_form, provision_channel=d.provision_channel,
            department_id=d.department_id, version=-1,
        ), on="id"):
            return  # a retry, or the row restored
        for a in d.attachments:
            session.add(DisclosureAttachment(request_id=d.request_id, filename=a.filename,
                                             content_type=a.content_type, size=a.size, sha256=a.sha256))
        log.info("disclosure_created", channel=d.intake_channel)

    @activity.defn(name="disclosure.record_review")
    async def record_review(self, r: ReviewInput) -> None:
        async with self.session_factory() as session:
            await insert_once(session, DisclosureReview(
                key=r.key, request_id=r.request_id, kind=r.kind, outcome=r.outcome, note=r.note,
                recorded_by=r.actor, year=r.year))
            await session.commit()

    @activity.defn(name="disclosure.supervise")
    async def supervise(self, sv: SuperviseInput) -> int:
        """A supervision notice (督办单): a task and a notification for the department's heads."""
        bind(case_id=sv.request_id, workflow_id=sv.workflow_id, actor=sv.actor)
        async with self.session_factory() as session:
            heads = [uid for (uid,) in (await session.execute(select(User.id).where(
                User.department_id == sv.department_id, User.role == Role.DEPT_HEAD, User.active))).all()]
            title = f"【督办】依申请公开 {sv.request_id}"
            await insert_once(session, Task(
                key=sv.key, case_id=sv.request_id, workflow_id=sv.workflow_id, process="disclosure",
                kind="supervision", title=f"{title}：{sv.note}"[:200], department_id=sv.department_id,
                role=Role.DEPT_HEAD, due_at=sv.due_at))
            by = (await actor_names(session, [sv.actor])).get(sv.actor, sv.actor)
            due = f"答复期限{deadline_text(sv.due_at)}（北京时间）。" if sv.due_at else ""
            body = f"督办意见：{sv.note}（督办人：{by}）。{due}"
            for uid in heads:
                await insert_once(session, Notification(
                    key=f"{sv.key}/{uid}", user_id=uid, case_id=sv.request_id, level=1, title=title, body=body))
            # The handling officer is told too (the case's assignee, else the department's officers).
            assignee = (await session.execute(select(DisclosureRequest.assignee_id).where(
                DisclosureRequest.id == sv.request_id))).scalar_one_or_none()
            for uid in await recipients(session, "assignee", sv.department_id, assignee):
                if uid not in heads:
                    await insert_once(session, Notification(
                        key=f"{sv.key}/officer/{uid}", user_id=uid, case_id=sv.request_id, level=1,
                        title=f"【督办】您办理的依申请公开 {sv.request_id}", body=body))
            await insert_once(session, AuditEvent(
                key=f"{sv.key}/audit", case_id=sv.request_id, actor=sv.actor, action="supervised",
                summary=f"发出督办单：{sv.note}"[:500], detail={"department_id": sv.department_id, "heads": heads}))
            await session.commit()
        return len(heads)
