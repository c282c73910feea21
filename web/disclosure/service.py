"""What the disclosure pages do, kept out of the handlers: allocate a tracking code once per
form, start the workflow, send an action as an update and wait until SQL shows it, decide who
may see a case."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.disclosure import DisclosureInput
from gongkai.disclosure import Actor
from gongkai.errors import Conflict, NotFound, PermissionDenied
from gongkai.intake import allocate, hash_code, query_code_for  # noqa: F401  (the pages' API)
from gongkai.logs import bind, get_logger
from models import DisclosureRequest, User
from models.accounts import WIDE_ROLES
from web import visible
from workflows.disclosure import DisclosureWorkflow
from workflows.disclosure_types import DisclosureView
from workflows.errors import from_update_failure

log = get_logger(__name__)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.role, user.department_id)


def can_view(user: User, row: DisclosureRequest, openness_office_ids: set[int]) -> bool:
    """Departments see their own cases; the open-information office, supervisors and leaders all."""
    return user.role in WIDE_ROLES or user.department_id == row.department_id or (
        user.department_id in openness_office_ids)


async def start(client: Client | None, task_queue: str, inp: DisclosureInput) -> None:
    if client is None:
        raise Conflict("流程服务暂不可用，请稍后重试")
    bind(case_id=inp.request_id, workflow_id=inp.request_id)
    try:
        await client.start_workflow(DisclosureWorkflow.run, inp, id=inp.request_id, task_queue=task_queue)
        log.info("disclosure_started", channel=inp.intake_channel)
    except WorkflowAlreadyStartedError:
        log.info("disclosure_already_started")


async def wait_visible(db: AsyncSession, request_id: str, version: int = 0, timeout: float = 15.0) -> None:
    """Return once the SQL projection shows at least `version` of the request."""
    await visible.wait_visible(db, DisclosureRequest, request_id, version, timeout)


async def act(client: Client | None, db: AsyncSession, request_id: str, action: str, *args) -> DisclosureView:
    if client is None:
        raise Conflict("流程服务暂不可用，请稍后重试")
    bind(case_id=request_id, workflow_id=request_id, action=action)
    handle = client.get_workflow_handle(request_id)
    try:
        view = await handle.execute_update(action, args=list(args), result_type=DisclosureView)
    except WorkflowUpdateFailedError as exc:
        raise from_update_failure(exc) from None
    except RPCError as exc:
        log.warning("update_rpc_error", error=str(exc))
        raise NotFound("该申请的流程已结束或不存在") from None
    await wait_visible(db, request_id, view.version)
    log.info("disclosure_action", stage=view.stage)
    return view


async def get_visible(db: AsyncSession, user: User, request_id: str) -> DisclosureRequest:
    row = await db.get(DisclosureRequest, request_id)
    if row is None:
        raise NotFound("申请不存在")
    from models import Department
    from models.accounts import DepartmentKind

    office_ids = {d for (d,) in (await db.execute(select(Department.id).where(
        Department.kind == DepartmentKind.OPENNESS_OFFICE))).all()}
    if not can_view(user, row, office_ids):
        raise PermissionDenied("无权查看其他部门的申请")
    return row


def now_utc() -> datetime:
    return datetime.now(UTC)
