"""Disclosure-request activities: the idempotent projection of a request's workflow state into
SQL (the request row, its inbox tasks, the audit log, its letters), and review records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.store import insert_once, sync_stage_tasks, update_if_older
from gongkai.letters import render_disclosure_letter
from gongkai.logs import bind, get_logger
from models import (
    AuditEvent,
    Deadline,
    DisclosureAttachment,
    DisclosureRequest,
    DisclosureReview,
    Letter,
    Notification,
    Task,
    User,
)

log = get_logger(__name__)


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass
class Applicant:
    type: str
    name: str
    id_doc_type: str
    id_doc_number: str
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass
class DisclosureInput:
    request_id: str
    idempotency_key: str
    query_code_hash: str
    intake_channel: str
    submitted_at: datetime
    applicant: Applicant
    description: str
    provision_form: str
    provision_channel: str
    department_id: int
    received_date: str | None = None  # ISO date; None until both sides confirm (Art. 31)
    registered_by: str = "applicant"
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class TaskSpec:
    key: str
    kind: str
    title: str
    department_id: int | None
    role: str | None
    assignee_id: int | None
    deadline_id: str | None = None
    due_at: datetime | None = None


@dataclass
class LetterSpec:
    key: str
    kind: str
    title: str
    body: str
    public: bool = True


@dataclass
class Projection:
    request_id: str
    workflow_id: str
    version: int
    fields: dict  # columns of DisclosureRequest to set
    actor: str
    action: str
    summary: str
    detail: dict = field(default_factory=dict)
    tasks: list[TaskSpec] = field(default_factory=list)
    letters: list[LetterSpec] = field(default_factory=list)
    at: datetime | None = None


@dataclass
class CreateInput:
    data: DisclosureInput
    workflow_id: str
    stage: str
    year: int


@dataclass
class SuperviseInput:
    request_id: str
    workflow_id: str
    key: str
    department_id: int
    note: str
    actor: str
    due_at: datetime | None = None


@dataclass
class ReviewInput:
    request_id: str
    key: str
    kind: str
    outcome: str
    note: str
    actor: str
    year: int


DATE_FIELDS = {"received_date", "correction_due"}
DATETIME_FIELDS = {"replied_at", "closed_at"}


def _coerce(name: str, value):
    if value is None:
        return None
    if name in DATE_FIELDS and isinstance(value, str):
        return date.fromisoformat(value)
    if name in DATETIME_FIELDS and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


class DisclosureActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    @activity.defn(name="disclosure.create")
    async def create(self, inp: CreateInput) -> None:
        """The request row, written once (a retry finds it there)."""
        d = inp.data
        bind(case_id=d.request_id, workflow_id=inp.workflow_id)
        async with self.session_factory() as session:
            if await session.get(DisclosureRequest, d.request_id) is None:
                session.add(DisclosureRequest(
                    id=d.request_id, year=inp.year, idempotency_key=d.idempotency_key,
                    query_code_hash=d.query_code_hash, stage=inp.stage, intake_channel=d.intake_channel,
                    submitted_at=d.submitted_at,
                    received_date=date.fromisoformat(d.received_date) if d.received_date else None,
                    applicant_type=d.applicant.type, applicant_name=d.applicant.name,
                    id_doc_type=d.applicant.id_doc_type, id_doc_number=d.applicant.id_doc_number,
                    contact_phone=d.applicant.phone, contact_email=d.applicant.email,
                    contact_address=d.applicant.address, description=d.description,
                    provision_form=d.provision_form, provision_channel=d.provision_channel,
                    department_id=d.department_id, version=-1,
                ))
                for a in d.attachments:
                    session.add(DisclosureAttachment(request_id=d.request_id, filename=a.filename,
                                                     content_type=a.content_type, size=a.size, sha256=a.sha256))
                await session.commit()
        log.info("disclosure_created", channel=d.intake_channel)

    @activity.defn(name="disclosure.project")
    async def project(self, p: Projection) -> None:
        bind(case_id=p.request_id, workflow_id=p.workflow_id, actor=p.actor)
        values = {name: _coerce(name, value) for name, value in p.fields.items()}
        if p.at:
            values["updated_at"] = p.at
        async with self.session_factory() as session:
            if not await update_if_older(session, DisclosureRequest, p.request_id, p.version, values):
                found = (await session.execute(select(DisclosureRequest.version).where(
                    DisclosureRequest.id == p.request_id))).first()
                if found is None:
                    raise RuntimeError(f"request {p.request_id} not created yet")
                return  # already applied (a retry), or overtaken by a newer state
            await insert_once(session, AuditEvent(
                key=f"{p.request_id}/v{p.version}", case_id=p.request_id, actor=p.actor, action=p.action,
                summary=p.summary, detail=p.detail, **({"at": p.at} if p.at else {}),
            ))
            await sync_stage_tasks(session, p.request_id, p.workflow_id, "disclosure", p.tasks, p.at)
            if p.letters:
                row = await session.get(DisclosureRequest, p.request_id)
                reply = await session.get(Deadline, f"{p.request_id}/reply")
                for letter in p.letters:
                    body = letter.body or render_disclosure_letter(
                        letter.kind, letter.title, row, p.fields.get("state", {}), reply.due_at if reply else None,
                        p.at or row.updated_at)
                    await insert_once(session, Letter(key=letter.key, case_id=p.request_id, kind=letter.kind,
                                                       title=letter.title, body=body, public=letter.public,
                                                       created_by=p.actor))
            await session.commit()
        log.info("disclosure_projected", action=p.action, version=p.version)

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
                User.department_id == sv.department_id, User.role == "dept_head", User.active))).all()]
            title = f"【督办】依申请公开 {sv.request_id}"
            await insert_once(session, Task(
                key=sv.key, case_id=sv.request_id, workflow_id=sv.workflow_id, process="disclosure",
                kind="supervision", title=f"{title}：{sv.note}"[:200], department_id=sv.department_id,
                role="dept_head", due_at=sv.due_at))
            for uid in heads:
                await insert_once(session, Notification(
                    key=f"{sv.key}/{uid}", user_id=uid, case_id=sv.request_id, level=1, title=title,
                    body=f"督办意见：{sv.note}（督办人：{sv.actor}）"))
            await insert_once(session, AuditEvent(
                key=f"{sv.key}/audit", case_id=sv.request_id, actor=sv.actor, action="supervised",
                summary=f"发出督办单：{sv.note}", detail={"department_id": sv.department_id, "heads": heads}))
            await session.commit()
        return len(heads)
