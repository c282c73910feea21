"""A user's action goes to its case workflow as an update and returns once SQL shows it."""

from __future__ import annotations

from litestar.datastructures import State
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import WorkflowUpdateFailedError

from gongkai.errors import Conflict
from web.deps import temporal_client
from web.visible import wait_visible
from workflows.errors import from_update_failure


async def send_update(state: State, db: AsyncSession, model, case_id: str, action: str, args: list, result_type):
    """Execute the update; wait (up to 15 s) until the case row has the version it returned."""
    client = await temporal_client(state)
    if client is None:
        raise Conflict("流程服务暂不可用，请稍后重试")
    try:
        view = await client.get_workflow_handle(case_id).execute_update(action, args=args, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        raise from_update_failure(exc) from None
    await wait_visible(db, model, case_id, view.version)
    return view
