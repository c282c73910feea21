"""Sending an administrator's change to the open cases it moves (gongkai/recompute.py has the preview):
the `recompute` update, to a few cases at a time, each returning once its clocks are recorded. A
case already on the version changes nothing, so an apply cut short is finished by applying again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from contracts.deadline import RECOMPUTE_UPDATE, Moved, Recompute
from gongkai.logs import get_logger
from gongkai.recompute import open_deadlines, preview_rules
from gongkai.roles import Actor
from gongkai.rule_store import book_of
from models import RuleVersion

log = get_logger(__name__)
CALENDAR_REASON = "节假日安排调整"
PARALLEL = 4  # updates in flight at once: each case moves in its own workflow


@dataclass
class Applied:
    cases: int = 0  # cases told
    moved: int = 0  # deadlines whose due instant changed
    failed: list[str] = field(default_factory=list)  # cases that could not be told (case id: why)


async def _tell(client: Client, workflow_ids: list[str], actor: Actor, change: Recompute) -> Applied:
    applied = Applied()
    gate = asyncio.Semaphore(PARALLEL)

    async def one(workflow_id: str) -> None:
        async with gate:
            try:
                moved = await client.get_workflow_handle(workflow_id).execute_update(
                    RECOMPUTE_UPDATE, args=[actor, change], result_type=list[Moved])
            except (RPCError, WorkflowUpdateFailedError) as exc:  # closed meanwhile, or refused
                applied.failed.append(f"{workflow_id}：{str(getattr(exc, 'cause', None) or exc)[:200]}")
                log.info("recompute_skip", workflow_id=workflow_id, error=str(exc)[:200])
                return
            applied.cases += 1
            applied.moved += sum(1 for m in moved if m.due_from != m.due_to or m.cancelled)

    await asyncio.gather(*(one(w) for w in workflow_ids))
    return applied


async def apply_rules(client: Client | None, session: AsyncSession, row: RuleVersion, actor: Actor) -> Applied:
    """Send version `row` to every case its preview lists; a case already on it changes nothing."""
    if client is None:
        return Applied(failed=["工作流服务不可用，请稍后重试"])
    moves = await preview_rules(session, row)
    cases = list(dict.fromkeys(m.workflow_id for m in moves))
    applied = await _tell(client, cases, actor, Recompute(row.reason, book_of(row)))
    log.info("rules_applied", version=row.number, cases=applied.cases, moved=applied.moved, failed=len(applied.failed))
    return applied


async def apply_calendar(client: Client | None, session: AsyncSession, actor: Actor,
                         reason: str = CALENDAR_REASON) -> Applied:
    """Recompute every case with an open deadline after a calendar change."""
    if client is None:
        log.warning("calendar_changed_not_applied", reason="no temporal client")
        return Applied(failed=["工作流服务不可用，请稍后重试"])
    cases = list(dict.fromkeys(d.workflow_id for d in await open_deadlines(session)))
    applied = await _tell(client, cases, actor, Recompute(reason))
    log.info("calendar_applied", cases=applied.cases, moved=applied.moved, failed=len(applied.failed))
    return applied
