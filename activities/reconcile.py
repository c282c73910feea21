"""Reconciliation activities: list the open case workflows (Temporal visibility), ask each what it
last projected, read the same cases from SQL and let gongkai.reconcile.diff say what drifted;
record what a run repaired (an audit entry and a log line)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client

from activities.store import insert_once
from contracts.reconcile import ReconcileReport, ScanInput, ScanResult
from gongkai.logs import bind, get_logger
from gongkai.reconcile import PROCESSES, PROJECTION_QUERY, CaseState, DeadlineRow, RowState, diff, run_slice
from models import AuditEvent, Deadline, DisclosureRequest, IncidentCase, PolicyCase, PublicationItem, Task

log = get_logger(__name__)
QUERY_CONCURRENCY = 8
CHUNK = 500


async def _rows(session: AsyncSession, cases: dict[str, CaseState]) -> dict[str, RowState]:
    out = {cid: RowState(cid, None, None) for cid in cases}
    ids = list(cases)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        for model in (DisclosureRequest, PolicyCase, IncidentCase, PublicationItem):
            for cid, version, stage in (await session.execute(
                    select(col(model.id), col(model.version), col(model.stage)).where(col(model.id).in_(chunk)))).all():
                out[cid].version, out[cid].stage = version, stage
        for cid, key in (await session.execute(select(Task.case_id, Task.key).where(
                col(Task.case_id).in_(chunk), Task.status == "open", col(Task.kind).like("stage:%")))).all():
            out[cid].task_keys.append(key)
        for d in (await session.execute(select(Deadline).where(col(Deadline.case_id).in_(chunk)))).scalars():
            out[d.case_id].deadlines.append(DeadlineRow(d.id, d.state, d.due_at))
    return out


class ReconcileActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], client: Client, task_queue: str) -> None:
        self.session_factory = session_factory
        self.client = client
        self.task_queue = task_queue

    async def _open_workflows(self) -> list[str]:
        types = ", ".join(f"'{t}'" for t in PROCESSES)
        query = (f"WorkflowType IN ({types}) AND ExecutionStatus = 'Running' "
                 f"AND TaskQueue = '{self.task_queue}'")
        return [wf.id async for wf in self.client.list_workflows(query)]

    @activity.defn(name="reconcile.scan")
    async def scan(self, inp: ScanInput) -> ScanResult:
        if inp.workflow_ids is not None:
            ids, index, slices, total = inp.workflow_ids, 0, 1, len(inp.workflow_ids)
        else:
            every = await self._open_workflows()
            ids, index, slices = run_slice(every, inp.batch, inp.turn)
            total = len(every)
        limit = asyncio.Semaphore(QUERY_CONCURRENCY)
        states: dict[str, tuple[str, CaseState]] = {}
        unreachable: list[str] = []

        async def ask(wid: str) -> None:
            async with limit:
                try:
                    state = await self.client.get_workflow_handle(wid).query(PROJECTION_QUERY, result_type=CaseState)
                except Exception as exc:  # closed meanwhile, or a workflow without the query
                    log.warning("reconcile_query_failed", workflow_id=wid, error=str(exc)[:200])
                    unreachable.append(wid)
                    return
                states[state.case_id] = (wid, state)
            activity.heartbeat(len(states))

        await asyncio.gather(*(ask(w) for w in ids))
        async with self.session_factory() as session:
            rows = await _rows(session, {cid: s for cid, (_w, s) in states.items()})
        drifts, unsettled = [], []
        for cid, (wid, state) in sorted(states.items()):
            if state.settling:
                unsettled.append(wid)
                continue
            found = diff(state, rows[cid], wid)
            if found:
                drifts.append(found)
        log.info("reconcile_scanned", checked=len(ids), open=total, slice=index, slices=slices, drifts=len(drifts),
                 unsettled=len(unsettled), unreachable=len(unreachable))
        return ScanResult(len(ids), total, index, slices, drifts, unsettled, sorted(unreachable))

    @activity.defn(name="reconcile.record")
    async def record(self, report: ReconcileReport) -> None:
        """One audit entry per run that found drift or could not ask a case, and always a log line."""
        bind(workflow_id=activity.info().workflow_id)
        if report.found or report.unreachable:
            async with self.session_factory() as session:
                await insert_once(session, AuditEvent(
                    key=f"reconcile/{report.run_id}", case_id="reconcile", actor="system", action="reconciled",
                    summary=f"对账：检查 {report.checked} 件"
                    + (f"（共 {report.open} 件在办，分 {report.slices} 批轮查，本次第 {report.slice + 1} 批）"
                       if report.slices > 1 else "")
                    + f"，发现偏差 {report.found} 件，已修复 {report.repaired} 件"
                    + (f"，{report.unreachable} 件未能查询" if report.unreachable else "")
                    + (f"，未修复 {len(report.unresolved)} 件" if report.unresolved else ""),
                    detail={"checked": report.checked, "open": report.open, "slice": report.slice,
                            "slices": report.slices, "unreachable": report.unreachable, "found": report.found,
                            "repaired": report.repaired,
                            "unresolved": report.unresolved, "problems": report.problems},
                ))
                await session.commit()
        log.info("reconcile_finished", checked=report.checked, open=report.open, slice=report.slice,
                 slices=report.slices, unreachable=report.unreachable, found=report.found, repaired=report.repaired,
                 unresolved=len(report.unresolved), cases=sorted(report.problems))
