"""The durable deadline in skipped time: a 20-working-day reply clock that crosses National Day
2026, paused for a consultation, extended, and left to run overdue up the ladder."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, ClockKind, ClockSpec, compute
from gongkai.profiles import get_rule
from models import AuditEvent, Deadline, Department, Notification, Task, User
from tests.support.histories import record, replayer
from tests.support.host import ClockHostWorkflow
from tests.support.host_types import HostInput
from worker import build_activities

START = datetime(2026, 9, 25, 10, 0, tzinfo=CST)  # Mid-Autumn Festival 2026, a Friday


async def _ids(db) -> dict[str, int]:
    async with db.session_factory() as s:
        users = {u.username: u.id for u in (await s.execute(select(User))).scalars()}
        depts = {d.code: d.id for d in (await s.execute(select(Department))).scalars()}
    return {**users, **{f"dept:{k}": v for k, v in depts.items()}}


async def _expected(db, spec: ClockSpec) -> datetime | None:
    async with db.session_factory() as s:
        cal = await load_calendar(s, "cn")
    return compute(spec, cal).due_at


async def _sleep_until(env, when: datetime) -> None:
    now = await env.get_current_time()
    if when > now:
        await env.sleep(when - now)


async def test_reply_clock_across_national_day_with_pause_extension_and_escalation(env, db):
    ids = await _ids(db)
    queue = f"q-{uuid.uuid4()}"
    case_id = "TEST-2026-000001"
    async with Worker(env.client, task_queue=queue, workflows=[ClockHostWorkflow],
                      activities=build_activities(db.session_factory)):
        started = await env.get_current_time()
        handle = await env.client.start_workflow(
            ClockHostWorkflow.run,
            HostInput(case_id, "reply", "working_days", 20, started, ids["dept:JYJ"], ids["jyj_officer"]),
            id=f"host-{case_id}", task_queue=queue,
        )
        spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=started)
        # The first due instant: 20 working days after 2026-09-25, across the National Day holiday.
        first_due = await _expected(db, spec)
        await env.sleep(timedelta(seconds=5))
        state = await handle.query(ClockHostWorkflow.state)
        assert state.due_at == first_due
        # Counted independently: 20 days on which chinese_calendar says people work, day 0 not counted.
        import chinese_calendar

        day, counted = START.date(), 0
        while counted < 20:
            day += timedelta(days=1)
            counted += chinese_calendar.is_workday(day)
        assert first_due.astimezone(CST).date() - timedelta(days=1) == day

        # Pause for a consultation after the holiday, resume five days later.
        await _sleep_until(env, datetime(2026, 10, 12, 9, 0, tzinfo=CST))
        paused = await handle.execute_update(ClockHostWorkflow.pause, "征求第三方意见")
        assert paused.paused and paused.due_at is None
        pause_at = await env.get_current_time()
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(ClockHostWorkflow.pause, "再次暂停")
        assert "已处于暂停" in str(rejected.value.cause)
        async with db.session_factory() as s:
            row = await s.get(Deadline, f"{case_id}/reply")
            assert row.state == "paused" and row.due_at is None

        await env.sleep(timedelta(days=5))
        resumed = await handle.execute_update(ClockHostWorkflow.resume)
        resume_at = await env.get_current_time()
        spec = spec.paused(pause_at).resumed(resume_at)
        assert resumed.due_at == await _expected(db, spec)
        assert resumed.due_at > first_due  # a pause never makes a deadline earlier

        extended = await handle.execute_update(ClockHostWorkflow.extend, 10)
        spec = spec.extended(10, await env.get_current_time())
        assert extended.due_at == await _expected(db, spec)
        final_due = extended.due_at

        # Let it run overdue: reminders to the officer, then supervisor at due, leader after 3 WD.
        await _sleep_until(env, final_due + timedelta(days=7))
        state = await handle.query(ClockHostWorkflow.state)
        assert state.level == 2
        outcome = await handle.execute_update(ClockHostWorkflow.complete)
        assert outcome == "late"
        assert await handle.result() == "late"

    async with db.session_factory() as s:
        row = await s.get(Deadline, f"{case_id}/reply")
        assert row.state == "late" and row.level == 2 and row.due_at == final_due
        notes = list((await s.execute(select(Notification).where(Notification.case_id == case_id))).scalars())
        by_user = {}
        for n in notes:
            by_user.setdefault(n.user_id, []).append(n)
        rule = get_rule("reply")
        reminders = [r for r in rule.ladder if r.to == "assignee"]
        assert len(by_user[ids["jyj_officer"]]) == len(reminders)
        assert [n.level for n in by_user[ids["duban"]]] == [1]
        assert [n.level for n in by_user[ids["leader"]]] == [2]
        assert "已超期" in by_user[ids["leader"]][0].title
        assert len({n.key for n in notes}) == len(notes)
        tasks = list((await s.execute(select(Task).where(Task.case_id == case_id))).scalars())
        assert sorted(t.role for t in tasks) == ["leader", "supervisor"]
        assert all(t.status == "done" for t in tasks)  # closed when the deadline closed
        audit = [a.action for a in (await s.execute(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))).scalars()]
        assert audit[0] == "deadline_set"
        assert audit.count("deadline_moved") == 3  # pause, resume, extension
        assert "deadline_escalated" in audit and audit[-1] == "deadline_late"

    history = await handle.fetch_history()
    record(history.to_json(), "deadline", "national_day")
    await replayer([ClockHostWorkflow]).replay_workflow(history)


async def test_calendar_change_moves_an_open_deadline(env, db):
    """A new calendar version that declares a working day a holiday moves the due date by one
    working day, and the move is audited (the `recompute` update a rule change also uses)."""
    from gongkai.calendar_store import current_versions, save_arrangement
    from gongkai.roles import SYSTEM_ADMIN
    from gongkai.workdays import Arrangement
    from web.recompute import apply_calendar

    ids = await _ids(db)
    queue = f"q-{uuid.uuid4()}"
    case_id = "TEST-2026-000002"
    async with Worker(env.client, task_queue=queue, workflows=[ClockHostWorkflow],
                      activities=build_activities(db.session_factory)):
        now = await env.get_current_time()
        handle = await env.client.start_workflow(
            ClockHostWorkflow.run, HostInput(case_id, "correction", "working_days", 7, now, ids["dept:JYJ"]),
            id=f"host-{case_id}", task_queue=queue,
        )
        await env.sleep(timedelta(seconds=5))
        before = (await handle.query(ClockHostWorkflow.state)).due_at
        async with db.session_factory() as s:
            current = {v.year: v for v in await current_versions(s, "cn")}[2026]
            data = dict(current.data)
            # Declare the first Monday after the start a one-day holiday.
            day = now.astimezone(CST).date() + timedelta(days=1)
            while day.weekday() != 0:
                day += timedelta(days=1)
            extra = {"name": "测试假日", "start": day.isoformat(), "end": day.isoformat()}
            data["holidays"] = [*data["holidays"], extra]
            await save_arrangement(s, Arrangement.from_mapping(data), origin="ui", actor="admin", note="test")
            await s.commit()
            applied = await apply_calendar(env.client, s, SYSTEM_ADMIN)
            assert (applied.cases, applied.moved, applied.failed) == (1, 1, [])
        await env.sleep(timedelta(seconds=5))
        after = (await handle.query(ClockHostWorkflow.state)).due_at
        assert after > before
        await handle.execute_update(ClockHostWorkflow.complete)
        await handle.result()
    async with db.session_factory() as s:
        moved = list((await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "deadline_moved"))).scalars())
        assert len(moved) == 1 and "节假日安排调整" in moved[0].summary
        assert moved[0].detail["to"] == after.isoformat()
