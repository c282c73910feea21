"""SIGKILL the worker while 200 disclosure requests are mid-process, start it again, and drive
every case to its end: every case completes, nothing is written twice, and the SQL read model
matches each workflow's state. Real dev server (SQLite file), the worker a separate process."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime

from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus

from contracts.disclosure import DisclosureView
from gongkai.reconcile import PROJECTION_QUERY, CaseState
from models import AuditEvent, Deadline, DisclosureRequest, Letter, Notification, Task, User
from tests.faults.support import (
    PROJECTED,
    DriveStats,
    WorkerProcess,
    activity_attempt,
    full_path,
    since,
    update,
    withdrawal_path,
)
from tests.support.temporal import dev_server
from tests.workflows.disclosure_support import actors, department_id, request_input
from workflows.disclosure import DisclosureWorkflow

CASES = 200
CONCURRENCY = 40
KILL_AT = 0.35  # share of all updates done when the worker is killed


async def test_worker_sigkill_mid_process(db, tmp_path):
    env = await dev_server(str(tmp_path / "temporal.db"))
    client = env.client
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    address = client.service_client.config.target_host
    worker = WorkerProcess(tmp_path / "worker.log", database_url=db.url, address=address, queue=queue,
                           var_dir=tmp_path / "var")
    try:
        await worker.start()
        a = await actors(db)
        dept = await department_id(db, "JYJ")
        ids = [f"DR-2026-{i:06d}" for i in range(1, CASES + 1)]
        plans = {rid: withdrawal_path(a) if i % 4 == 3 else full_path(a) for i, rid in enumerate(ids)}
        total = sum(len(p) for p in plans.values())
        now = datetime.now(UTC)
        for rid in ids:
            await client.start_workflow(DisclosureWorkflow.run, request_input(rid, dept, now), id=rid,
                                        task_queue=queue)

        stats = DriveStats()
        started: set[str] = set()
        finished: set[str] = set()
        limit = asyncio.Semaphore(CONCURRENCY)

        async def drive(rid: str) -> None:
            async with limit:
                started.add(rid)
                for name, args in plans[rid]:
                    await update(client, rid, name, args, stats)
                finished.add(rid)

        t0 = time.monotonic()
        drivers = asyncio.gather(*(drive(rid) for rid in ids))
        while stats.steps_done < KILL_AT * total:
            await asyncio.sleep(0.05)
        worker.kill()
        t_kill = time.monotonic()
        at_kill = {
            "steps_done": stats.steps_done, "steps_total": total,
            "cases_mid_process": len(started - finished), "cases_finished": len(finished),
            "updates_in_flight": len(stats.in_flight),
        }
        in_flight = set(stats.in_flight)
        await worker.start()
        restarted = since(t_kill)
        await asyncio.wait_for(drivers, timeout=240)
        figures = {
            **at_kill, "before_kill_s": round(t_kill - t0, 1), "worker_back_after_s": restarted,
            "recovered_after_kill_s": since(t_kill),
            "slowest_interrupted_update_s": round(max(stats.latencies[u] for u in in_flight), 1),
            "client_retries": stats.retries,
        }
        assert at_kill["cases_mid_process"] >= CONCURRENCY // 2 and at_kill["updates_in_flight"] > 0
        assert finished == set(ids)

        # -- every case completed ---------------------------------------------------------------
        limit = asyncio.Semaphore(20)

        async def ask(rid: str) -> tuple[DisclosureView, CaseState, object]:
            async with limit:
                h = client.get_workflow_handle(rid)
                return (await h.query(DisclosureWorkflow.current),
                        await h.query(PROJECTION_QUERY, result_type=CaseState), await h.describe())

        answers = dict(zip(ids, await asyncio.gather(*(ask(rid) for rid in ids)), strict=True))

        async def retried(rid: str) -> int:  # activities the kill interrupted ran again after their timeout
            n = 0
            async with limit:
                async for e in client.get_workflow_handle(rid).fetch_history_events():
                    n += (activity_attempt(e) or 0) > 1
            return n

        figures["activities_retried"] = sum(await asyncio.gather(*(retried(rid) for rid in ids)))
        print("\nworker SIGKILL:", figures)
        for rid, (view, _proj, desc) in answers.items():
            if plans[rid][-1][0] == "withdraw":
                assert view.stage == "withdrawn" and desc.status == WorkflowExecutionStatus.COMPLETED, rid
                assert await client.get_workflow_handle(rid).result() == "withdrawn"
            else:  # archived; the workflow stays open for the reconsideration window
                assert view.stage == "archived" and desc.status == WorkflowExecutionStatus.RUNNING, rid
                assert view.reply.channel == "email" and view.outcome == "replied"

        # -- nothing duplicated -----------------------------------------------------------------
        async with db.session_factory() as s:
            for model in (Task, Notification, AuditEvent, Letter):
                dup = (await s.execute(select(model.key).group_by(model.key).having(func.count() > 1))).all()
                assert dup == [], f"{model.__name__} keys written twice: {dup[:5]}"
            audits = list((await s.execute(select(AuditEvent).where(AuditEvent.case_id.in_(ids)))).scalars())
            tasks = list((await s.execute(select(Task).where(Task.case_id.in_(ids)))).scalars())
            notes = list((await s.execute(select(Notification).where(Notification.case_id.in_(ids)))).scalars())
            letters = list((await s.execute(select(Letter).where(Letter.case_id.in_(ids)))).scalars())
            rows = {r.id: r for r in (await s.execute(select(DisclosureRequest).where(
                DisclosureRequest.id.in_(ids)))).scalars()}
            deadlines = {d.id: d for d in (await s.execute(select(Deadline).where(Deadline.case_id.in_(ids))))
                         .scalars()}
            heads = (await s.execute(select(func.count()).select_from(User).where(
                User.department_id == dept, User.role == "dept_head"))).scalar_one()
            officers = (await s.execute(select(func.count()).select_from(User).where(
                User.department_id == dept, User.role == "officer"))).scalar_one()

        by_case: dict[str, list[AuditEvent]] = defaultdict(list)
        for e in audits:
            by_case[e.case_id].append(e)
        for rid in ids:
            projected = sorted((e for e in by_case[rid] if e.key.startswith(f"{rid}/v")),
                               key=lambda e: int(e.key.rsplit("/v", 1)[1]))
            # one entry per version, versions 1..n with no gap, in the order the case moved
            assert [int(e.key.rsplit("/v", 1)[1]) for e in projected] == list(range(1, len(projected) + 1)), rid
            assert [e.action for e in projected] == ["registered"] + [
                PROJECTED[n] for n, _ in plans[rid] if n in PROJECTED], rid
            per_action = Counter((e.action, e.detail.get("deadline_id")) for e in by_case[rid]
                                 if e.action.startswith("deadline_"))
            assert per_action[("deadline_set", f"{rid}/reply")] == 1, rid
            assert per_action[("deadline_set", f"{rid}/correction_notice")] == 1, rid
            for did in (f"{rid}/reply", f"{rid}/correction_notice"):
                closes = sum(n for (act, d), n in per_action.items() if d == did and act in {
                    "deadline_met", "deadline_late", "deadline_cancelled"})
                assert closes == 1, (did, per_action)
            assert sum(e.action == "supervised" for e in by_case[rid]) == 1, rid
        supervision = Counter(t.case_id for t in tasks if t.kind == "supervision")
        assert supervision == Counter({rid: 1 for rid in ids})
        # the 督办 reaches the department's heads and the handling officer (the assignee, else the
        # department's officers), each once
        told = {rid: heads + (1 if rows[rid].assignee_id else officers) for rid in ids}
        assert Counter(n.case_id for n in notes) == Counter(told)
        kinds = Counter((t.case_id, t.kind, t.status) for t in tasks if t.kind.startswith("stage:"))
        assert all(n == 1 for (_c, _k, status), n in kinds.items() if status == "open")
        assert Counter((x.case_id, x.kind) for x in letters) == Counter(
            {(rid, kind): 1 for rid in ids
             for kind in ("receipt", "withdrawn" if plans[rid][-1][0] == "withdraw" else "reply_GRANTED")})
        # each letter took one 文号 of its series, none twice, none skipped, whatever the kill retried
        for series in ("receipt", "reply_GRANTED", "withdrawn"):
            numbers = sorted(int(re.search(r"(\d+)号$", x.doc_no).group(1)) for x in letters if x.kind == series)
            assert numbers == list(range(1, len(numbers) + 1)), (series, numbers)

        # -- the read model matches each workflow ---------------------------------------------
        open_stage = defaultdict(set)
        for t in tasks:
            if t.status == "open" and t.kind.startswith("stage:"):
                open_stage[t.case_id].add(t.key)
        for rid, (view, proj, _desc) in answers.items():
            row = rows[rid]
            assert (row.stage, row.version, row.assignee_id, row.department_id) == (
                view.stage, view.version, view.assignee_id, view.department_id), rid
            assert row.state["stage"] == view.stage and row.state["version"] == view.version
            assert open_stage[rid] == set(proj.task_keys) == set(), rid
            reply, notice = deadlines[f"{rid}/reply"], deadlines[f"{rid}/correction_notice"]
            assert reply.due_at == view.reply_due_at, rid
            assert notice.state == "cancelled", rid
            if view.stage == "withdrawn":
                assert reply.state == "cancelled" and row.closed_at is not None, rid
            else:
                assert reply.state == "met" and row.replied_at is not None and row.disposition == "GRANTED", rid
    finally:
        worker.stop()
        await env.shutdown()
