"""The one way a person's action reaches a case, for every process: check its size, send it to
the case's workflow as an update, wait until SQL shows it, and map every failure the same way (a
refusal keeps its code, message and field; a finished or unknown case and an unavailable service
say so). Form pages show a refusal on the case page again, beside the field, with what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from litestar.datastructures import State
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError
from temporalio.converter import DataConverter, value_to_type
from temporalio.service import RPCError, RPCStatusCode

from gongkai.actions import ActionTable
from gongkai.errors import ActionNotAllowed, Conflict, GongkaiError, InvalidInput, NotFound, PermissionDenied
from gongkai.failures import from_update_failure
from gongkai.logs import bind, get_logger
from gongkai.roles import Actor, DepartmentKind, Role
from models import Department, User
from web.deps import temporal_client
from web.errors import status_for
from web.forms import typed
from web.visible import NotYetShown, wait_visible

log = get_logger(__name__)
V = TypeVar("V")
MAX_PAYLOAD = 256 * 1024  # bytes an action may carry; Temporal refuses 2 MB, and no form needs a tenth of this
UNAVAILABLE = "流程服务暂不可用，请稍后重试"


@dataclass(frozen=True)
class Process(Generic[V]):
    """What the web needs to know of a process to act on its cases and read their views."""

    name: str
    noun: str  # what a case is called in messages: 申请, 政策文件, 事件
    path: str  # where its case pages are
    model: Any  # the case row
    view: type[V]
    actions: ActionTable[V]

    def view_of(self, row: Any) -> V:
        """The workflow's view as its last projection stored it (the row's `state`). A row written
        before its first projection (a request's intake) has none yet."""
        if not row.state:
            raise Conflict(f"该{self.noun}正在登记，请稍后刷新页面")
        return value_to_type(self.view, row.state)

    def url(self, case_id: str) -> str:
        return f"{self.path}/{case_id}"


@dataclass
class Refusal:
    """An action the workflow (or the form) refused, to show on the case page again; or, as a notice,
    one it took that SQL does not show yet (then nothing typed is offered again)."""

    action: str
    message: str
    field: str | None
    form: dict[str, Any] = field(default_factory=dict)
    status: int = 400
    notice: bool = False


async def actor_of(db: AsyncSession, user: User) -> Actor:
    department = await db.get(Department, user.department_id)
    kind = DepartmentKind(department.kind) if department else DepartmentKind.DEPARTMENT
    assert user.id is not None
    return Actor(user.id, user.username, Role(user.role), user.department_id, kind)


def check_size(args: list[Any]) -> None:
    """Refuse an action too large to send, with its own message, before it reaches Temporal."""
    size = sum(len(p.data) for p in DataConverter.default.payload_converter.to_payloads(args))
    if size > MAX_PAYLOAD:
        raise InvalidInput(f"提交的内容过长（约 {size // 1024} KB，上限 {MAX_PAYLOAD // 1024} KB），请精简后再提交")


def _rpc_refusal(exc: RPCError, process: Process[Any]) -> GongkaiError:
    if exc.status == RPCStatusCode.NOT_FOUND:  # the workflow has ended (or never ran)
        return ActionNotAllowed(f"该{process.noun}的流程已结束，不能再办理")
    if exc.status in {RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.RESOURCE_EXHAUSTED} and "size" in str(exc):
        return InvalidInput("提交的内容过长，请精简后再提交")
    return Conflict(UNAVAILABLE)


async def send(state: State, process: Process[V], case_id: str, action: str, args: list[Any]) -> V:
    """Execute the update; return once the case row shows the version it returned (or say it is
    not shown yet). The wait reads through its own session, so the caller's objects stay loaded."""
    process.actions[action]  # an unknown action is a 404, not an update the workflow refuses
    check_size(args)
    client = await temporal_client(state)
    if client is None:
        raise Conflict(UNAVAILABLE)
    bind(case_id=case_id, workflow_id=case_id, action=action)
    try:
        view: Any = await client.get_workflow_handle(case_id).execute_update(action, args=args,
                                                                             result_type=process.view)
    except WorkflowUpdateFailedError as exc:
        raise from_update_failure(exc) from None
    except RPCError as exc:
        log.warning("update_rpc_error", status=str(exc.status), error=str(exc)[:200])
        raise _rpc_refusal(exc, process) from None
    async with state.session_factory() as fresh:
        await wait_visible(fresh, process.model, case_id, view.version)
    log.info("case_action", process=process.name, version=view.version)
    return view


REFUSED = (InvalidInput, ActionNotAllowed, Conflict, PermissionDenied)


async def submit(state: State, db: AsyncSession, process: Process[Any], case_id: str, action: str,
                 args: Callable[[], Awaitable[list[Any]]], data: Mapping[str, Any],
                 show: Callable[[Refusal], Awaitable[Template]], done: str | None = None) -> Redirect | Template:
    """A form's action: on success back to the case (or `done`); refused, the case page again with
    the refusal beside its field and what was typed, and the refusal's status code."""
    try:
        await send(state, process, case_id, action, await args())
    except NotYetShown as exc:  # taken: say so, and offer nothing to submit a second time
        db.expunge_all()
        return await show(Refusal("", exc.message, None, status=202, notice=True))
    except REFUSED as exc:
        db.expunge_all()  # the page is read again from SQL, not from what this request loaded
        return await show(Refusal(action, exc.message, exc.field, typed(data), status_for(exc)))
    return Redirect(safe_next(done, process.url(case_id)))


def safe_next(target: str | None, default: str) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else default


def unknown_action() -> NotFound:
    return NotFound("未知操作")
