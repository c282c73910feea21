"""After a calendar change, every open deadline recomputes its due instant. The web tells each
owning workflow; the workflow recomputes in an activity and audits any move."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from gongkai.logs import get_logger
from models import Deadline

log = get_logger(__name__)
CALENDAR_CHANGED_SIGNAL = "calendar_changed"


async def notify_calendar_changed(client: Client | None, session: AsyncSession) -> int:
    """Signal every workflow that owns an open deadline. Returns how many were told."""
    if client is None:
        log.warning("calendar_changed_not_signalled", reason="no temporal client")
        return 0
    q = select(Deadline.workflow_id).where(col(Deadline.state).in_(("running", "paused"))).distinct()
    told = 0
    for (workflow_id,) in (await session.execute(q)).all():
        try:
            await client.get_workflow_handle(workflow_id).signal(CALENDAR_CHANGED_SIGNAL)
            told += 1
        except RPCError as exc:  # closed meanwhile: nothing to move
            log.info("calendar_changed_skip", workflow_id=workflow_id, error=str(exc))
    log.info("calendar_changed_signalled", workflows=told)
    return told
