"""A send that got no answer is in doubt, as much as one the worker died in: the channel may have
taken the message. The next attempt goes with the same key, and the row counts the doubt
(`interrupted`), so a second copy at the receiver is always one the row owns up to; a receiver
that honours the key keeps one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError

from activities.delivery import DeliveryActivities, Outbox
from contracts.delivery import SendInput
from gongkai import channels
from gongkai.channels import Smtp, key_digest, message_id
from gongkai.sealed import seal
from gongkai.senders import channel_ring
from gongkai.settings import get_settings
from models import Delivery, DepartmentChannel, User
from tests.support.receivers import RobotReceiver, SmtpReceiver

TIMEOUT = 0.5  # seconds the sender waits for an answer, here; the receiver keeps its answer back longer


def _delivery(key: str, **fields) -> Delivery:
    return Delivery(key=key, cause="deadline", title="【已超期】测试案件：依申请公开答复期限", body="已超期1天。",
                    release_at=datetime.now(UTC), **fields)


async def _send_twice(db, outbox: Outbox, key: str, receiver: RobotReceiver | SmtpReceiver) -> Delivery:
    """The first attempt's answer is kept back until the sender gave up waiting; the second is answered."""
    sender = DeliveryActivities(db.session_factory, outbox)
    receiver.pace.hold()
    with pytest.raises(ApplicationError) as failed:
        await sender.send(SendInput(key, datetime.now(UTC)))
    assert not failed.value.non_retryable  # retried by Temporal
    assert receiver.pace.held  # the receiver has the message: the sender could not know
    receiver.pace.release()
    assert await sender.send(SendInput(key, datetime.now(UTC))) == "sent"
    async with db.session_factory() as s:
        return (await s.execute(select(Delivery).where(Delivery.key == key))).scalar_one()


async def test_a_robot_answer_that_never_came_counts_as_interrupted(db, monkeypatch):
    monkeypatch.setattr(channels, "HTTP_TIMEOUT", TIMEOUT)
    key = "in-doubt/robot"
    async with RobotReceiver("wecom") as robot:
        async with db.session_factory() as s:
            dept = (await s.execute(select(User.department_id).where(User.username == "jyj_head"))).scalar_one()
            channel = DepartmentChannel(department_id=dept, kind="wecom", name="教育局企业微信群", created_by="admin",
                                        endpoint=seal(channel_ring(get_settings()), {"webhook": robot.url}))
            s.add(channel)
            await s.flush()
            s.add(_delivery(key, channel="wecom", channel_id=channel.id))
            await s.commit()
        row = await _send_twice(db, Outbox.of(get_settings()), key, robot)
    assert (row.status, row.attempts, row.interrupted) == ("sent", 2, 1)
    assert robot.copies()[key_digest(key)] == 2 and len(robot.kept()) == 1


async def test_a_mail_server_reply_that_never_came_counts_as_interrupted(db):
    key = "in-doubt/email"
    async with SmtpReceiver() as smtp:
        async with db.session_factory() as s:
            user = (await s.execute(select(User).where(User.username == "duban"))).scalar_one()
            user.email = "zhao.min@gov.example"
            s.add(_delivery(key, channel="email", user_id=user.id))
            await s.commit()
        outbox = Outbox.of(get_settings()).replace(smtp=Smtp(smtp.host, smtp.port, "gongkai@gov.example",
                                                             timeout=TIMEOUT))
        row = await _send_twice(db, outbox, key, smtp)
    assert (row.status, row.attempts, row.interrupted) == ("sent", 2, 1)
    assert smtp.copies()[message_id(key)] == 2 and len(smtp.kept()) == 1
