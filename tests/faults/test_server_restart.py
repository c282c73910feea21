"""Stop the Temporal dev server while deadline timers are pending and start it again on the same
SQLite file: every timer still fires (those due while it was down, as soon as it is back), once.
Real time: the dev server does not skip it, so the deadlines are hour clocks started in the past,
due a few seconds from now."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Worker

from models import AuditEvent, Deadline, Notification, Task, User
from tests.faults.support import free_port, since, wait_for
from tests.support.host import ClockHostWorkflow
from tests.support.host_types import HostInput
from tests.support.temporal import dev_server
from tests.workflows.disclosure_support import actors, department_id
from worker import build_activities
from workflows.calls import ACTIVITY_TIMEOUT

RULE = "authoritative_release"  # 5 hours; reminders 2 h and 30 min before, the supervisor at the due instant
DEADLINES = 12
FIRST_DUE = 12.0  # seconds from the start
SPACING = 1.5
UP_AGAIN = 18.0  # the server stops once every deadline is scheduled and starts again at 18 s: four or more
#                  deadlines fall due while it is away


async def test_timers_survive_a_dev_server_restart(db, tmp_path):
    state_file, port = str(tmp_path / "temporal.db"), free_port()
    env = await dev_server(state_file, port)
    client = env.client
    queue = f"timers-{uuid.uuid4().hex[:8]}"
    a = await actors(db)
    dept = await department_id(db, "JYJ")
    t0, now = time.monotonic(), datetime.now(UTC)
    due = {f"T-2026-{i:06d}": now + timedelta(seconds=FIRST_DUE + SPACING * i) for i in range(DEADLINES)}
    worker = Worker(client, task_queue=queue, workflows=[ClockHostWorkflow],
                    activities=build_activities(db.session_factory))
    restarted = None
    try:
        async with worker:
            for cid, at in due.items():
                await client.start_workflow(
                    ClockHostWorkflow.run, HostInput(cid, RULE, "hours", 5, at - timedelta(hours=5), dept,
                                                     a["jyj_officer"].user_id), id=f"host-{cid}", task_queue=queue)

            async def waiting():  # scheduled, the overtaken reminder sent: only the due timers are left
                async with db.session_factory() as s:
                    n = (await s.execute(select(func.count()).select_from(AuditEvent).where(
                        AuditEvent.case_id.in_(due), AuditEvent.action == "deadline_reminded"))).scalar_one()
                return n == DEADLINES

            await wait_for(waiting, FIRST_DUE - 3, "every deadline scheduled and reminded", 0.1)
            await asyncio.sleep(1)  # the reminders' completions reach the server
            await env.shutdown()
            t_down = time.monotonic()
            assert await _fired_due(db, due) == {}, "no deadline is due yet when the server stops"
            await asyncio.sleep(max(0.0, UP_AGAIN - (time.monotonic() - t0)))
            env = await dev_server(state_file, port)
            restarted = datetime.now(UTC)
            down_s = since(t_down)

            async def all_fired():
                fired = await _fired_due(db, due)
                return fired if len(fired) == DEADLINES else None

            fired = await wait_for(all_fired, 60, "every due-instant escalation", 0.25)
            for cid in due:  # still running: nothing lost with the server's restart
                desc = await client.get_workflow_handle(f"host-{cid}").describe()
                assert desc.status == WorkflowExecutionStatus.RUNNING
            outcomes = [await client.get_workflow_handle(f"host-{cid}").execute_update(ClockHostWorkflow.complete)
                        for cid in due]
    finally:
        await env.shutdown()
    assert outcomes == ["late"] * DEADLINES

    late = {cid: (fired[cid] - at).total_seconds() for cid, at in due.items()}
    during = [cid for cid, at in due.items() if at < restarted]
    figures = {"deadlines": DEADLINES, "server_stopped_at_s": round(t_down - t0, 1), "server_down_s": down_s,
               "due_while_down": len(during),
               "max_lateness_while_down_s": round(max(late[c] for c in during), 1),
               "max_lateness_after_restart_s": round(max((late[c] for c in due if c not in during), default=0), 1)}
    print("\ndev server restart:", figures)
    assert len(during) >= 4
    for cid, at in due.items():
        assert fired[cid] >= at, cid  # never early
        if cid in during:
            assert fired[cid] >= restarted - timedelta(seconds=1), cid  # it could only fire once the server was back
        else:  # on time, give or take a busy machine (and an activity whose completion the stop lost)
            assert late[cid] < ACTIVITY_TIMEOUT.total_seconds() + 10, (cid, late[cid])

    async with db.session_factory() as s:
        audits = list((await s.execute(select(AuditEvent).where(AuditEvent.case_id.in_(due)))).scalars())
        tasks = list((await s.execute(select(Task).where(Task.case_id.in_(due)))).scalars())
        notes = list((await s.execute(select(Notification).where(Notification.case_id.in_(due)))).scalars())
        rows = {d.case_id: d for d in (await s.execute(select(Deadline).where(Deadline.case_id.in_(due)))).scalars()}
    # Per deadline, exactly: set, the overtaken reminder (only the latest, 30 min before), the due-instant
    # escalation, and the close; nothing twice.
    per = Counter((e.case_id, e.action, e.detail.get("rung")) for e in audits)
    for cid in due:
        assert per[(cid, "deadline_set", None)] == 1
        assert per[(cid, "deadline_reminded", "-30m:department")] == 1
        assert per[(cid, "deadline_reminded", "-2h:department")] == 0
        assert per[(cid, "deadline_escalated", "due:supervisor")] == 1
        assert per[(cid, "deadline_late", None)] == 1
        assert rows[cid].state == "late" and rows[cid].level == 1
    assert sum(per.values()) == 4 * DEADLINES
    assert Counter(t.case_id for t in tasks if t.kind == "escalation:supervisor") == Counter({c: 1 for c in due})
    async with db.session_factory() as s:  # the reminder goes to the responsible department, officers and head
        members = (await s.execute(select(func.count()).select_from(User).where(
            User.department_id == dept, User.role.in_(("officer", "dept_head")), User.active))).scalar_one()
    assert members >= 2
    assert Counter((n.case_id, n.level) for n in notes) == Counter(
        {**{(c, 0): members for c in due}, **{(c, 1): 1 for c in due}})  # the department, then the one supervisor


async def _fired_due(db, due: dict[str, datetime]) -> dict[str, datetime]:
    """When each deadline's due-instant escalation was written."""
    async with db.session_factory() as s:
        rows = (await s.execute(select(AuditEvent.case_id, AuditEvent.at).where(
            AuditEvent.case_id.in_(due), AuditEvent.action == "deadline_escalated"))).all()
    return {cid: at for cid, at in rows}
