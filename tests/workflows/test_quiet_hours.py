"""Messages outside the browser keep office hours for day clocks and never wait for hour clocks, in
skipped time against real receivers: a reply-clock reminder fired on a Saturday arrives on Monday at
09:00; an escalation falling on a holiday arrives at 09:00 of the first working day after it; an
incident's escalation at 03:00 goes out at 03:00. The in-app notice is never held."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from gongkai.clock import CST
from gongkai.sealed import seal
from gongkai.senders import channel_ring
from gongkai.settings import get_settings
from models import Delivery, Department, DepartmentChannel, Notification, User
from tests.support.host import ClockHostWorkflow
from tests.support.host_types import HostInput
from tests.support.receivers import RobotReceiver, SmtpReceiver
from tests.support.sending import sending

MOBILE = "13800138000"  # the assignee's, @-mentioned by the group robot
SECRET = "SECquiethours0123456789"


@dataclass
class Office:
    env: WorkflowEnvironment
    queue: str
    smtp: SmtpReceiver
    robot: RobotReceiver
    ids: dict[str, int]


async def _contacts(db, robot: RobotReceiver) -> dict[str, int]:
    """E-mail addresses for the officer, the supervisor and the leader; the officer's mobile; a
    DingTalk robot for the education bureau (JYJ)."""
    async with db.session_factory() as s:
        users = {u.username: u for u in (await s.execute(select(User))).scalars()}
        for name in ("jyj_officer", "duban", "leader"):
            users[name].email = f"{name}@example.gov.cn"
        users["jyj_officer"].mobile = MOBILE
        dept = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one()
        s.add(DepartmentChannel(department_id=dept.id, kind="dingtalk", name="教育局值班群", created_by="admin",
                                endpoint=seal(channel_ring(get_settings()), {"webhook": robot.url, "secret": SECRET})))
        await s.commit()
        return {**{k: u.id for k, u in users.items()}, "dept:JYJ": dept.id}  # type: ignore[misc]


@asynccontextmanager
async def office(db, start: datetime) -> AsyncIterator[Office]:
    async with RobotReceiver("dingtalk", secret=SECRET) as robot, \
            sending(db, start, [ClockHostWorkflow], retry_seconds=0.5) as s:
        yield Office(s.env, s.queue, s.smtp, robot, await _contacts(db, robot))


async def _start(o: Office, case_id: str, rule: str, kind: str, amount: int):
    started = await o.env.get_current_time()
    return await o.env.client.start_workflow(
        ClockHostWorkflow.run,
        HostInput(case_id, rule, kind, amount, started, o.ids["dept:JYJ"], o.ids["jyj_officer"]),
        id=f"host-{case_id}", task_queue=o.queue)


async def _sleep_until(env: WorkflowEnvironment, when: datetime) -> None:
    now = await env.get_current_time()
    if when > now:
        await env.sleep(when - now)


async def _deliveries(db, case_id: str) -> list[Delivery]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Delivery).where(Delivery.case_id == case_id).order_by(
            Delivery.id))).scalars())


async def _notices(db, case_id: str, user_id: int) -> list[Notification]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Notification).where(
            Notification.case_id == case_id, Notification.user_id == user_id))).scalars())


def _at(row: Delivery) -> datetime:
    assert row.sent_at is not None
    return row.sent_at.astimezone(CST)


async def test_a_reminder_fired_on_saturday_is_mailed_on_monday_at_nine(db):
    # Registered on Saturday 2026-03-07 with two working days to go: the "-2wd" reminder's instant
    # (Thursday) has passed, so it fires at registration, on a Saturday morning.
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=CST)
    monday_nine = datetime(2026, 3, 9, 9, 0, tzinfo=CST)
    async with office(db, saturday) as o:
        case_id = "TEST-QUIET-SAT"
        handle = await _start(o, case_id, "reply", "working_days", 2)
        await o.env.sleep(timedelta(minutes=1))
        officer = o.ids["jyj_officer"]
        notes = await _notices(db, case_id, officer)
        assert len(notes) == 1 and "即将到期" in notes[0].title  # the app tells at once
        [mail] = await _deliveries(db, case_id)
        assert mail.channel == "email" and mail.user_id == officer and mail.level == 0
        assert mail.release_at == monday_nine and mail.status == "pending"

        await _sleep_until(o.env, monday_nine - timedelta(minutes=1))
        assert o.smtp.messages == [] and (await _deliveries(db, case_id))[0].status == "pending"

        await _sleep_until(o.env, monday_nine + timedelta(minutes=1))
        [received] = await o.smtp.wait_for(1)
        assert "jyj_officer@example.gov.cn" in received["To"]
        assert "即将到期" in received["Subject"] and case_id in received["Subject"]
        body = received.get_content()
        assert "依申请公开答复期限" in body and "办理：http" in body
        await _settled(db, mail.key)
        [sent] = await _deliveries(db, case_id)
        assert sent.status == "sent" and monday_nine <= _at(sent) < monday_nine + timedelta(minutes=1)
        await handle.terminate()


async def test_an_escalation_on_a_holiday_waits_for_the_first_working_morning(db):
    # Four working days from Friday 2026-04-24: the last day is Thursday 04-30, so the reply clock is
    # due at 24:00 that day, when the Labour Day holiday (05-01 to 05-05) begins. The supervisor is
    # told in the app at once; the e-mail and the group's message wait until Wednesday 05-06, 09:00.
    first_working_morning = datetime(2026, 5, 6, 9, 0, tzinfo=CST)
    async with office(db, datetime(2026, 4, 24, 10, 0, tzinfo=CST)) as o:
        case_id = "TEST-QUIET-HOLIDAY"
        handle = await _start(o, case_id, "reply", "working_days", 4)
        due = datetime(2026, 5, 1, 0, 0, tzinfo=CST)
        await _sleep_until(o.env, due + timedelta(minutes=5))
        assert [n.level for n in await _notices(db, case_id, o.ids["duban"])] == [1]
        held = [d for d in await _deliveries(db, case_id) if d.level == 1]
        assert {(d.channel, d.user_id) for d in held} == {("email", o.ids["duban"]), ("dingtalk", None)}
        assert all(d.release_at == first_working_morning and d.status == "pending" for d in held)

        await _sleep_until(o.env, first_working_morning - timedelta(minutes=1))
        assert not [m for m in o.smtp.messages if "已超期" in m["Subject"] or "已到期" in m["Subject"]]
        assert o.robot.received == []

        await _sleep_until(o.env, first_working_morning + timedelta(minutes=1))
        await o.robot.wait_for(1)
        [posted] = o.robot.received
        assert posted["at"]["atMobiles"] == [MOBILE] and f"@{MOBILE}" in posted["text"]["content"]
        assert "督办" in posted["text"]["content"]
        # The officer had three reminders (at registration, 04-28 and 04-30, 09:00); the supervisor one.
        mails = [m for m in await o.smtp.wait_for(4) if "duban@example.gov.cn" in m["To"]]
        assert len(mails) == 1
        for row in held:
            await _settled(db, row.key)
        for row in [d for d in await _deliveries(db, case_id) if d.level == 1]:
            assert row.status == "sent" and first_working_morning <= _at(row) < first_working_morning + timedelta(
                minutes=1)
        await handle.terminate()


async def test_an_incident_escalation_at_three_in_the_morning_goes_at_three(db):
    # An authoritative-release clock (5 hours) started at 22:00 is due at 03:00: the escalation to
    # the supervisor goes out then, by e-mail and to the department's group, night or not.
    async with office(db, datetime(2026, 3, 10, 22, 0, tzinfo=CST)) as o:
        case_id = "TEST-QUIET-INCIDENT"
        handle = await _start(o, case_id, "authoritative_release", "hours", 5)
        three = datetime(2026, 3, 11, 3, 0, tzinfo=CST)
        await _sleep_until(o.env, three + timedelta(minutes=2))
        due = (await handle.query(ClockHostWorkflow.state)).due_at
        assert due is not None and three <= due < three + timedelta(seconds=30)  # started at 22:00 and a moment
        escalations = [d for d in await _deliveries(db, case_id) if d.level == 1]
        assert {d.channel for d in escalations} == {"email", "dingtalk"}
        assert all(d.release_at == due for d in escalations)
        await o.robot.wait_for(3)  # two reminders (01:00, 02:30) and the escalation, all at night
        for row in escalations:
            await _settled(db, row.key)
        for row in [d for d in await _deliveries(db, case_id) if d.level == 1]:
            assert row.status == "sent" and three <= _at(row) < three + timedelta(minutes=1)
        reminders = [d for d in await _deliveries(db, case_id) if d.level == 0]
        assert {d.release_at.astimezone(CST).strftime("%H:%M") for d in reminders} == {"01:00", "02:30"}
        await handle.terminate()


async def _settled(db, key: str) -> None:
    """Until the row has its outcome: the receiver has the message a moment before the row says so."""
    for _ in range(600):
        async with db.session_factory() as s:
            row = (await s.execute(select(Delivery).where(Delivery.key == key))).scalar_one()
        if row.status in {"sent", "failed"}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"delivery {key} not settled: {row.status}")
