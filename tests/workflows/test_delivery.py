"""The delivery workflow end to end on the Temporal test server, against real receivers: a robot
that answers 500 three times gets the message once, on the fourth attempt, and the case's timeline
shows each attempt; a robot that refuses the signature is given up on (the row says failed, the
channel is marked failing, administrators are told) and the message goes by e-mail to the person it
@-mentions; one key is one message however often it is started or its send activity is run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import DeliveryActivities, Outbox, start_deliveries, workflow_id
from contracts.delivery import SendInput
from gongkai.channels import Smtp, key_digest
from gongkai.sealed import seal
from gongkai.senders import channel_ring
from gongkai.settings import get_settings
from models import AuditEvent, Delivery, Department, DepartmentChannel, Notification, User
from models.accounts import Role
from tests.support.receivers import RobotReceiver, SmtpReceiver
from worker import build_activities
from workflows.delivery import DeliveryWorkflow

CASE = "DR-2026-000901"
MOBILE = "13800138000"
SECRET = "SECdelivery0123456789abcdef"


@dataclass
class Office:
    client: Client
    queue: str
    outbox: Outbox
    smtp: SmtpReceiver
    now: datetime
    officer: User  # jyj_officer, with an e-mail address and a mobile
    department_id: int

    async def start(self, *keys: str) -> int:
        return await start_deliveries(self.outbox, [(k, self.now) for k in keys], client=self.client,
                                      task_queue=self.queue)

    async def result(self, key: str) -> str:
        return await self.client.get_workflow_handle(workflow_id(key)).result()


@asynccontextmanager
async def office(env: WorkflowEnvironment, db) -> AsyncIterator[Office]:
    """An SMTP receiver, the officer's contacts, and a worker of the delivery workflow sending through
    them with short retries."""
    async with SmtpReceiver() as smtp:
        outbox = Outbox.of(get_settings()).replace(
            smtp=Smtp("127.0.0.1", smtp.port, "gongkai@example.gov.cn", timeout=5.0), retry_seconds=0.2, attempts=5)
        async with db.session_factory() as s:
            officer = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
            officer.email, officer.mobile = "jyj_officer@example.gov.cn", MOBILE
            dept = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one()
            await s.commit()
            await s.refresh(officer)
            assert dept.id is not None
        queue = f"q-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=queue, workflows=[DeliveryWorkflow],
                          activities=build_activities(db.session_factory, outbox=outbox)):
            yield Office(env.client, queue, outbox, smtp, await env.get_current_time(), officer, dept.id)


async def _robot(db, o: Office, robot: RobotReceiver, secret: str) -> int:
    """The department's group robot, as an administrator enters it: webhook and secret sealed."""
    sealed = seal(channel_ring(get_settings()), {"webhook": robot.url, "secret": secret})
    async with db.session_factory() as s:
        channel = DepartmentChannel(department_id=o.department_id, kind=robot.kind, name="教育局值班群",
                                    created_by="admin", hint="127.0.0.1 …test", endpoint=sealed)
        s.add(channel)
        await s.commit()
        assert channel.id is not None
        return channel.id


async def _message(db, o: Office, key: str, channel_id: int, kind: str) -> None:
    """One escalation to the department's group, @-mentioning the officer."""
    async with db.session_factory() as s:
        s.add(Delivery(key=key, case_id=CASE, cause="deadline", channel=kind, channel_id=channel_id,
                       mentions=[o.officer.id], level=1, title=f"【已超期】{CASE} 答复期限",
                       body=f"依申请公开 {CASE} 的答复期限已过 1 个工作日。请承办人今日办结。",
                       link=f"https://gk.example.gov.cn/disclosure/{CASE}", release_at=o.now))
        await s.commit()


async def _row(db, key: str) -> Delivery:
    async with db.session_factory() as s:
        return (await s.execute(select(Delivery).where(Delivery.key == key))).scalar_one()


async def _timeline(db) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == CASE, col(AuditEvent.action).startswith("delivery_")).order_by(
            col(AuditEvent.id)))).scalars())


async def test_a_robot_that_answers_500_three_times_gets_the_message_once(env, db):
    async with office(env, db) as o, RobotReceiver("dingtalk", secret=SECRET, fail_first=3) as robot:
        channel_id = await _robot(db, o, robot, SECRET)
        key = f"deadline:{CASE}/reply/overdue/dingtalk/{channel_id}"
        await _message(db, o, key, channel_id, "dingtalk")

        assert await o.start(key) == 1
        assert await o.result(key) == "sent"

        assert robot.requests == 4 and robot.refused == []
        [posted] = robot.received
        assert posted["at"]["atMobiles"] == [MOBILE] and "【已超期】" in posted["text"]["content"]
        assert robot.keys == [key_digest(key)]
        row = await _row(db, key)
        assert (row.status, row.attempts, row.interrupted) == ("sent", 4, 0)
        assert row.sent_at is not None and '"errcode": 0' in row.answer
        timeline = await _timeline(db)
        assert [e.action for e in timeline] == ["delivery_attempt_failed"] * 3 + ["delivery_sent"]
        assert [e.detail["attempt"] for e in timeline[:3]] == [1, 2, 3]
        assert all("HTTP 500" in e.summary and "将重试" in e.summary for e in timeline[:3])
        assert "已接收" in timeline[3].summary and "第4次尝试" in timeline[3].summary
        assert timeline[3].detail["attempts"] == 4


async def test_a_refused_signature_gives_up_and_falls_back_to_email(env, db):
    async with office(env, db) as o, RobotReceiver("dingtalk", secret=SECRET) as robot:
        channel_id = await _robot(db, o, robot, "SECa-secret-mistyped")
        key = f"deadline:{CASE}/reply/overdue/dingtalk/{channel_id}"
        await _message(db, o, key, channel_id, "dingtalk")

        await o.start(key)
        assert await o.result(key) == "failed"
        assert robot.requests == 1 and robot.received == [] and robot.refused == ["sign not match"]  # not retried

        row = await _row(db, key)
        assert row.status == "failed" and "310000" in row.answer and row.attempts == 1
        async with db.session_factory() as s:
            channel = await s.get(DepartmentChannel, channel_id)
            assert channel is not None and channel.failing_since is not None and "sign not match" in channel.last_error
            admins = set((await s.execute(select(User.id).where(User.role == Role.ADMIN, col(User.active)))).scalars())
            told = list((await s.execute(select(Notification).where(
                col(Notification.key).startswith(f"channel-failed/dingtalk/{channel_id}/")))).scalars())
        assert admins and {n.user_id for n in told} == admins
        assert all("教育局值班群" in n.title and n.case_id == CASE for n in told)

        fallback = f"{key}/fallback/email/{o.officer.id}"
        assert await o.result(fallback) == "sent"  # started by the give-up
        [mail] = await o.smtp.wait_for(1)
        assert "jyj_officer@example.gov.cn" in mail["To"] and mail["Subject"] == f"【已超期】{CASE} 答复期限"
        assert f"https://gk.example.gov.cn/disclosure/{CASE}" in mail.get_content()
        assert (await _row(db, fallback)).fallback_of == key
        timeline = await _timeline(db)
        assert [e.action for e in timeline] == ["delivery_attempt_failed", "delivery_failed", "delivery_sent"]
        assert "将重试" not in timeline[0].summary
        assert "已改用电子邮件" in timeline[1].summary
        assert timeline[2].detail["delivery"] == fallback and "电子邮件" in timeline[2].summary


async def test_starting_the_same_key_twice_sends_once(env, db):
    async with office(env, db) as o, RobotReceiver("wecom") as robot:
        channel_id = await _robot(db, o, robot, "")
        key = f"deadline:{CASE}/reply/overdue/wecom/{channel_id}"
        await _message(db, o, key, channel_id, "wecom")

        assert await o.start(key, key) == 1
        assert await o.start(key) == 0
        assert await o.result(key) == "sent"
        assert await o.start(key) == 0  # nor once it has finished

        assert robot.requests == 1 and len(robot.received) == 1
        assert robot.received[0]["text"]["mentioned_mobile_list"] == [MOBILE]
        assert (await _row(db, key)).attempts == 1


async def test_a_send_for_a_message_already_sent_sends_nothing(env, db):
    async with office(env, db) as o, RobotReceiver("feishu", secret=SECRET) as robot:
        channel_id = await _robot(db, o, robot, SECRET)
        key = f"deadline:{CASE}/reply/overdue/feishu/{channel_id}"
        await _message(db, o, key, channel_id, "feishu")
        await o.start(key)
        assert await o.result(key) == "sent"
        assert robot.requests == 1

        send = DeliveryActivities(db.session_factory, o.outbox).send
        assert await ActivityEnvironment().run(send, SendInput(key, o.now)) == "sent"
        assert robot.requests == 1
        row = await _row(db, key)
        assert (row.status, row.attempts) == ("sent", 1)
        assert [e.action for e in await _timeline(db)] == ["delivery_sent"]


async def test_an_attempt_cut_off_mid_send_is_sent_again_under_the_same_key(env, db):
    # A worker killed after the channel took the message and before the row said so leaves the row
    # `sending`: the next attempt sends again with the same Idempotency-Key, and counts it.
    async with office(env, db) as o, RobotReceiver("wecom") as robot:
        channel_id = await _robot(db, o, robot, "")
        key = f"deadline:{CASE}/reply/overdue/wecom/{channel_id}"
        await _message(db, o, key, channel_id, "wecom")
        async with db.session_factory() as s:
            row = (await s.execute(select(Delivery).where(Delivery.key == key))).scalar_one()
            row.status, row.attempts = "sending", 1
            await s.commit()

        send = DeliveryActivities(db.session_factory, o.outbox).send
        assert await ActivityEnvironment().run(send, SendInput(key, o.now)) == "sent"
        assert robot.keys == [key_digest(key)]
        row = await _row(db, key)
        assert (row.status, row.attempts, row.interrupted) == ("sent", 2, 1)
        [sent] = await _timeline(db)
        assert "同一编号重发" in sent.summary
