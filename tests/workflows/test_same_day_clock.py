"""A same-day clock in skipped time (issue 17, item 5): a limit of 0 working days started on a
holiday Sunday is due at 24:00 that day; the officer is reminded at 09:00, the supervisor told at
24:00, the leader two working days later."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import select
from temporalio.worker import Worker

from gongkai.clock import CST, end_of_day
from models import Deadline, Notification, Task
from tests.support.histories import replayer
from tests.support.host import ClockHostWorkflow
from tests.support.host_types import HostInput
from tests.workflows.test_deadline import _ids, _sleep_until
from worker import build_activities

START = datetime(2026, 10, 4, 8, 0, tzinfo=CST)  # a Sunday inside National Day 2026 (10-01 to 10-07)


async def _notes(db, case_id: str) -> dict[int, list[Notification]]:
    async with db.session_factory() as s:
        rows = (await s.execute(select(Notification).where(Notification.case_id == case_id)
                                .order_by(Notification.id))).scalars()
        by_user: dict[int, list[Notification]] = {}
        for n in rows:
            by_user.setdefault(n.user_id, []).append(n)
        return by_user


async def test_a_same_day_clock_on_a_holiday_reminds_that_morning_and_escalates_at_midnight(env, db):
    ids = await _ids(db)
    queue = f"q-{uuid.uuid4()}"
    case_id = "TEST-2026-000017"
    async with Worker(env.client, task_queue=queue, workflows=[ClockHostWorkflow],
                      activities=build_activities(db.session_factory)):
        started = await env.get_current_time()
        assert started.astimezone(CST).date() == date(2026, 10, 4)
        handle = await env.client.start_workflow(
            ClockHostWorkflow.run,
            HostInput(case_id, "interpretation", "working_days", 0, started, ids["dept:JYJ"], ids["jyj_officer"]),
            id=f"host-{case_id}", task_queue=queue,
        )
        await env.sleep(timedelta(minutes=1))
        due = end_of_day(date(2026, 10, 4))  # the holiday itself, not the next working day
        assert (await handle.query(ClockHostWorkflow.state)).due_at == due
        async with db.session_factory() as s:
            row = await s.get(Deadline, f"{case_id}/interpretation")
            assert row.due_at == due and row.last_day == date(2026, 10, 4) and row.state == "running"
            assert any(line.startswith("同日规则") and "不顺延" in line for line in row.explanation)
            assert not any("当日不计入" in line for line in row.explanation)
        assert await _notes(db, case_id) == {}

        await _sleep_until(env, datetime(2026, 10, 4, 9, 30, tzinfo=CST))  # the morning reminder
        notes = await _notes(db, case_id)
        assert list(notes) == [ids["jyj_officer"]] and [n.level for n in notes[ids["jyj_officer"]]] == [0]
        assert "即将到期" in notes[ids["jyj_officer"]][0].title

        await _sleep_until(env, due + timedelta(minutes=30))  # 24:00: the supervisor
        notes = await _notes(db, case_id)
        assert [n.level for n in notes[ids["duban"]]] == [1] and "已到期" in notes[ids["duban"]][0].title
        assert ids["leader"] not in notes
        assert (await handle.query(ClockHostWorkflow.state)).level == 1

        # +2wd: 24:00 of the second working day after the holiday Sunday (10-08 Thu, 10-09 Fri).
        await _sleep_until(env, end_of_day(date(2026, 10, 9)) + timedelta(minutes=30))
        notes = await _notes(db, case_id)
        assert [n.level for n in notes[ids["leader"]]] == [2]
        assert await handle.execute_update(ClockHostWorkflow.complete) == "late"
        assert await handle.result() == "late"

    async with db.session_factory() as s:
        tasks = list((await s.execute(select(Task).where(Task.case_id == case_id))).scalars())
        assert sorted(t.role for t in tasks) == ["leader", "supervisor"]
        assert (await s.get(Deadline, f"{case_id}/interpretation")).state == "late"
    await replayer([ClockHostWorkflow]).replay_workflow(await handle.fetch_history())


async def test_a_same_day_clock_started_in_the_afternoon_reminds_at_once(env, db):
    """Its morning reminder's instant has passed when the clock starts: the officer is told then."""
    ids = await _ids(db)
    queue = f"q-{uuid.uuid4()}"
    case_id = "TEST-2026-000018"
    await _sleep_until(env, datetime(2026, 10, 9, 15, 0, tzinfo=CST))  # a Friday, a working day
    async with Worker(env.client, task_queue=queue, workflows=[ClockHostWorkflow],
                      activities=build_activities(db.session_factory)):
        handle = await env.client.start_workflow(
            ClockHostWorkflow.run,
            HostInput(case_id, "interpretation", "working_days", 0, await env.get_current_time(),
                      ids["dept:JYJ"], ids["jyj_officer"]),
            id=f"host-{case_id}", task_queue=queue,
        )
        await env.sleep(timedelta(minutes=1))
        assert (await handle.query(ClockHostWorkflow.state)).due_at == end_of_day(date(2026, 10, 9))
        notes = await _notes(db, case_id)
        assert list(notes) == [ids["jyj_officer"]] and [n.level for n in notes[ids["jyj_officer"]]] == [0]
        assert await handle.execute_update(ClockHostWorkflow.complete) == "met"
        assert await handle.result() == "met"
