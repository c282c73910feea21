"""The daily digest end to end: tasks in SQL, accounts with e-mail addresses, the DigestWorkflow run
in skipped time from 08:30 on a working day, the e-mails arriving at a real SMTP receiver and the
notices on the home page's 待阅; a second run the same day sends nothing again; a weekend or a
holiday sends nothing, a 调休 Saturday does. Then the schedule as the worker creates it, on the dev
server: every day at 08:30 Beijing time, starting the digest."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

import pytest
from sqlmodel import col, select
from temporalio.client import (
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    ScheduleRange,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import Outbox
from contracts.digest import DigestInput, DigestReport
from gongkai.clock import CST, local_date
from gongkai.digest import digest_at
from gongkai.sealed import seal
from gongkai.senders import channel_ring
from gongkai.settings import get_settings
from models import Delivery, Department, DepartmentChannel, Notification, Task, User
from tests.support.histories import record
from tests.support.receivers import RobotReceiver, SmtpReceiver
from tests.support.sending import sending
from tests.support.temporal import dev_server
from web.reading import to_read, todo_of
from worker import build_activities, digest_schedule_id, ensure_schedules
from workflows.delivery import DeliveryWorkflow
from workflows.digest import DigestWorkflow

DAY = date(2026, 11, 11)  # a Wednesday
START = digest_at(DAY)  # the schedule's moment: 08:30 Beijing time
LINK = "https://gk.example.gov.cn"
MAILED = ("jyj_officer", "jyj_head", "duban")  # have e-mail addresses; zrzy_officer has none


@dataclass
class Office:
    env: WorkflowEnvironment
    queue: str
    smtp: SmtpReceiver
    ids: dict[str, int]


def _due(day: date) -> datetime:
    """24:00 of `day`, Beijing time: how a day clock's due instant is stored."""
    return datetime(day.year, day.month, day.day, tzinfo=CST) + timedelta(days=1)


async def _office_data(db) -> dict[str, int]:
    """E-mail addresses for three people, and open tasks: the education bureau's officer has an overdue
    case of their own and an unclaimed one due today; the supervisor an escalation of the overdue
    case; the natural-resources officer (no e-mail) a task due in ten days."""
    async with db.session_factory() as s:
        users = {u.username: u for u in (await s.execute(select(User))).scalars()}
        for name in MAILED:
            users[name].email = f"{name}@example.gov.cn"
        jyj = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one()
        zrzy = (await s.execute(select(Department).where(Department.code == "ZRZY"))).scalar_one()

        def task(n: int, kind: str, due: datetime, **where) -> Task:
            case_id = f"DR-2026-{n:06d}"
            return Task(key=f"{case_id}/{kind}", case_id=case_id, workflow_id=case_id, process="disclosure",
                        kind=kind, title=f"办理答复 {case_id}", due_at=due, **where)

        s.add_all([
            task(1, "stage:handle", _due(DAY - timedelta(days=1)), department_id=jyj.id,
                 assignee_id=users["jyj_officer"].id),
            task(2, "stage:review", _due(DAY), department_id=jyj.id),
            task(1, "escalation:supervisor", _due(DAY - timedelta(days=1)), role="supervisor"),
            task(3, "stage:handle", _due(DAY + timedelta(days=14)), department_id=zrzy.id,
                 assignee_id=users["zrzy_officer"].id),
        ])
        await s.commit()
        return {u.username: u.id for u in users.values() if u.id is not None}


@asynccontextmanager
async def office(db, refuse: tuple[str, ...] = ()) -> AsyncIterator[Office]:
    async with sending(db, START, [DigestWorkflow], refuse=refuse, link_base=LINK, retry_seconds=0.5) as s:
        yield Office(s.env, s.queue, s.smtp, await _office_data(db))


async def _digest(o: Office, day: str = "", recorded: str = "") -> DigestReport:
    handle = await o.env.client.start_workflow(DigestWorkflow.run, DigestInput(day), id=f"digest-{uuid.uuid4()}",
                                               task_queue=o.queue)
    report = await handle.result()
    if recorded:
        record((await handle.fetch_history()).to_json(), "digest", recorded)
    return report


def _address(mail: EmailMessage) -> str:
    return parseaddr(str(mail["To"]))[1]


async def _rows(db, model, prefix: str) -> list:
    async with db.session_factory() as s:
        return list((await s.execute(select(model).where(col(model.key).startswith(prefix)).order_by(
            col(model.id)))).scalars())


async def _settled(db, prefix: str) -> list[Delivery]:
    """The day's e-mail rows once each has its outcome (the receiver has a message a moment before
    its row says so)."""
    for _ in range(600):
        rows = await _rows(db, Delivery, prefix)
        if all(r.status in {"sent", "failed"} for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries not settled: {[(r.key, r.status) for r in rows]}")


async def test_a_working_days_digest_arrives_once_by_mail_and_in_the_app(db):
    async with office(db) as o:
        report = await _digest(o, recorded="working_day")  # as the schedule starts it: no day, the run's own
        ids = o.ids
        assert report == DigestReport("2026-11-11", working=True, people=4, notices=4, emails=3, started=3)

        mails = {_address(m): m for m in await o.smtp.wait_for(3)}
        assert set(mails) == {f"{name}@example.gov.cn" for name in MAILED}
        officer = mails["jyj_officer@example.gov.cn"]
        assert str(officer["Subject"]) == "每日待办摘要（11月11日）：已超期1项，今日到期1项"
        body = officer.get_content()
        assert "【我的待办】共 2 项：已超期 1，今日到期 1" in body
        assert "截止 2026-11-10 24:00，已超期 1 个工作日" in body and "截止 2026-11-11 24:00，今日到期" in body
        assert f"{LINK}/disclosure/DR-2026-000001" in body and f"{LINK}/disclosure/DR-2026-000002" in body
        assert f"办理：{LINK}/inbox" in body
        head = mails["jyj_head@example.gov.cn"].get_content()
        assert "【本部门超期事项】共 1 项" in head and "DR-2026-000001" in head and "DR-2026-000002" not in head
        supervisor = mails["duban@example.gov.cn"]
        assert str(supervisor["Subject"]) == "每日待办摘要（11月11日）：督办1项"
        assert "【督办事项】共 1 项" in supervisor.get_content()

        rows = await _settled(db, "digest/2026-11-11/")
        assert sorted(r.key for r in rows) == sorted(f"digest/2026-11-11/{ids[n]}/email" for n in MAILED)
        assert all(r.status == "sent" and r.cause == "digest" and r.case_id == "" and r.channel == "email"
                   for r in rows)

        # Everyone with something to report has it in the app, whether or not they have e-mail.
        notices = await _rows(db, Notification, "digest/2026-11-11/")
        assert sorted(n.user_id for n in notices) == sorted(ids[n] for n in (*MAILED, "zrzy_officer"))
        async with db.session_factory() as s:
            zrzy = await s.get(User, ids["zrzy_officer"])
            assert zrzy is not None
            reading = await to_read(s, zrzy, await todo_of(s, zrzy))
        [shown] = [m.first for m in reading if m.first.key == f"digest/2026-11-11/{ids['zrzy_officer']}"]
        assert shown.title == "每日待办摘要（11月11日）：待办1项"
        assert shown.body == "待办 1 项（其他 1）。详见待办列表。"

        # A second run the same day (a retry, a manual trigger) adds and sends nothing.
        again = await _digest(o, "2026-11-11")
        assert again == DigestReport("2026-11-11", working=True, people=4, notices=0, emails=0, started=0)
        assert len(await _rows(db, Notification, "digest/2026-11-11/")) == 4
        assert len(await _settled(db, "digest/2026-11-11/")) == 3
        assert len(o.smtp.messages) == 3


async def test_no_digest_on_a_weekend_or_a_holiday_but_on_a_makeup_saturday(db):
    async with office(db) as o:
        saturday = await _digest(o, "2026-11-14")
        assert saturday == DigestReport("2026-11-14", working=False, reason="weekend")
        national_day = await _digest(o, "2026-10-03")
        assert national_day == DigestReport("2026-10-03", working=False, reason="holiday 国庆节")
        assert await _rows(db, Notification, "digest/") == [] and await _rows(db, Delivery, "digest/") == []
        # Saturday 2026-10-10 is worked (调休 for the National Day holiday): its digest goes out (a month
        # before the tasks fell due, nothing is overdue in the education bureau: its head is not told).
        makeup = await _digest(o, "2026-10-10")
        assert makeup == DigestReport("2026-10-10", working=True, people=3, notices=3, emails=2, started=2)
        assert {_address(m) for m in await o.smtp.wait_for(2)} == {"jyj_officer@example.gov.cn",
                                                                   "duban@example.gov.cn"}
        assert len(await _settled(db, "digest/2026-10-10/")) == 2


async def test_a_refused_digest_is_reported_and_not_posted_to_the_department_group(db):
    """A digest is one person's (and in the app already): when their mailbox refuses it, the
    administrators are told, and it does not fall back to the department's group robot."""
    async with RobotReceiver("dingtalk") as robot, office(db, refuse=("jyj_officer@example.gov.cn",)) as o:
        async with db.session_factory() as s:
            jyj = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one()
            s.add(DepartmentChannel(department_id=jyj.id, kind="dingtalk", name="教育局值班群", created_by="admin",
                                    endpoint=seal(channel_ring(get_settings()), {"webhook": robot.url})))
            await s.commit()
        assert (await _digest(o)).emails == 3
        key = f"digest/2026-11-11/{o.ids['jyj_officer']}/email"
        rows = {r.key: r for r in await _settled(db, "digest/2026-11-11/")}
        assert rows[key].status == "failed" and "收件地址被拒绝" in rows[key].answer
        assert sorted(r.status for r in rows.values()) == ["failed", "sent", "sent"]
        async with db.session_factory() as s:
            fallbacks = (await s.execute(select(Delivery).where(Delivery.fallback_of == key))).scalars().all()
        assert fallbacks == [] and robot.requests == 0
        told = await _rows(db, Notification, "channel-failed/email/")
        assert {n.user_id for n in told} == {o.ids["admin"]} and "每日待办摘要" in told[0].body


async def test_the_worker_schedules_the_digest_at_half_past_eight_beijing_time(db):
    env = await dev_server()
    queue = f"q-{uuid.uuid4()}"
    settings = dataclasses.replace(get_settings(), task_queue=queue, digest=True, reconcile_interval=0)
    try:
        await ensure_schedules(env.client, settings)
        await ensure_schedules(env.client, settings)  # every worker start: still one schedule
        schedule_id = digest_schedule_id(settings)
        assert [s.id async for s in await env.client.list_schedules()].count(schedule_id) == 1
        handle = env.client.get_schedule_handle(schedule_id)
        described = await handle.describe()
        spec = described.schedule.spec
        assert spec.time_zone_name == "Asia/Shanghai"
        [calendar] = spec.calendars
        assert isinstance(calendar, ScheduleCalendarSpec)
        assert (calendar.hour, calendar.minute) == ((ScheduleRange(8),), (ScheduleRange(30),))
        assert calendar.day_of_week == (ScheduleRange(0, 6),)  # every day: the run reads the calendar
        upcoming = described.info.next_action_times
        assert len(upcoming) >= 7
        assert {at.astimezone(CST).strftime("%H:%M") for at in upcoming} == {"08:30"}
        assert {at.astimezone(UTC).strftime("%H:%M") for at in upcoming} == {"00:30"}
        assert [b - a for a, b in zip(upcoming, upcoming[1:], strict=False)] == [timedelta(days=1)] * (
            len(upcoming) - 1)
        policy = described.schedule.policy
        assert policy.overlap == ScheduleOverlapPolicy.SKIP and policy.catchup_window == timedelta(hours=2)
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("DigestWorkflow", queue)

        # Triggered by hand, the schedule's run is today's digest (Beijing's today).
        async with Worker(env.client, task_queue=queue, workflows=[DigestWorkflow, DeliveryWorkflow],
                          activities=build_activities(db.session_factory, outbox=Outbox.of(get_settings()).replace(
                              smtp=None, link_base=LINK))):
            await handle.trigger()
            for _ in range(600):
                recent = (await handle.describe()).info.recent_actions
                if recent:
                    break
                await asyncio.sleep(0.05)
            [started] = recent
            run = env.client.get_workflow_handle(started.action.workflow_id,
                                                 run_id=started.action.first_execution_run_id,
                                                 result_type=DigestReport)
            report = await run.result()
        assert report.day in {local_date(started.scheduled_at).isoformat(),
                              local_date(datetime.now(UTC)).isoformat()}
        assert report.emails == 0  # no mail server configured: nothing planned

        # Switched off (GONGKAI_DIGEST=0), the next worker start removes it.
        await ensure_schedules(env.client, dataclasses.replace(settings, digest=False))
        with pytest.raises(RPCError) as gone:
            await handle.describe()
        assert gone.value.status == RPCStatusCode.NOT_FOUND
    finally:
        await env.shutdown()
