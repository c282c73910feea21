"""What the disclosure pages share: the process as the action path sees it, starting a request's
workflow once per form, and who may see a request."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from contracts.disclosure import ACTIONS, WORKFLOW, DisclosureInput, DisclosureView
from gongkai.errors import Conflict, NotFound, PermissionDenied
from gongkai.logs import bind, get_logger
from gongkai.roles import WIDE_ROLES, DepartmentKind
from models import Department, DisclosureRequest, User
from web.actions import UNAVAILABLE, Process

log = get_logger(__name__)
PROCESS = Process("disclosure", "申请", "/disclosure", DisclosureRequest, DisclosureView, ACTIONS)


async def start(client: Client | None, task_queue: str, inp: DisclosureInput) -> None:
    if client is None:
        raise Conflict(UNAVAILABLE)
    bind(case_id=inp.request_id, workflow_id=inp.request_id)
    try:
        await client.start_workflow(WORKFLOW, inp, id=inp.request_id, task_queue=task_queue)
        log.info("disclosure_started", channel=inp.intake_channel)
    except WorkflowAlreadyStartedError:
        log.info("disclosure_already_started")


async def visible(db: AsyncSession, user: User, request_id: str) -> DisclosureRequest:
    """The request, if `user` may see it: departments their own, the open-information office,
    supervisors and leaders all."""
    row = await db.get(DisclosureRequest, request_id)
    if row is None:
        raise NotFound("申请不存在")
    if user.role in WIDE_ROLES or user.department_id == row.department_id:
        return row
    kind = (await db.execute(select(Department.kind).where(Department.id == user.department_id))).scalar_one_or_none()
    if kind == DepartmentKind.OPENNESS_OFFICE:
        return row
    raise PermissionDenied("无权查看其他部门的申请")


def now_utc() -> datetime:
    return datetime.now(UTC)
