"""The case page's 办理记录 shows each e-mail to the applicant: held for the morning, accepted, or
failed and why, said as the applicant's mail and never with the address. The sender runs as the
worker runs it, against a real SMTP receiver; the page reads SQL only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError

from activities.delivery import DeliveryActivities, Outbox
from activities.disclosure import DisclosureActivities
from contracts.delivery import GiveUpInput, SendInput
from contracts.disclosure import CreateInput
from gongkai.channels import Smtp
from gongkai.clock import CST
from gongkai.settings import get_settings
from models import Delivery
from tests.support.receivers import SmtpReceiver
from tests.web.conftest import login
from tests.workflows.disclosure_support import department_id, request_input
from tests.workflows.test_applicant_mail import ADDRESS, _receipt, with_email
from worker import lookup_keys

NIGHT = datetime(2026, 3, 4, 21, 0, tzinfo=CST)


async def _planned(db, outbox: Outbox, rid: str) -> Delivery:
    """A request registered at 21:00 whose receipt is mailed to the applicant (planned, held)."""
    dept = await department_id(db, "JYJ")
    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()), outbox)
    await acts.create(CreateInput(with_email(request_input(rid, dept, NIGHT)), rid, "review", 2026))
    await acts.project(_receipt(rid, dept, NIGHT))
    async with db.session_factory() as s:
        return (await s.execute(select(Delivery).where(Delivery.case_id == rid))).scalar_one()


async def _timeline(client, rid: str) -> list[tuple[str, str, str]]:
    page = await client.get(f"/disclosure/{rid}")
    assert page.status_code == 200 and ADDRESS not in page.text.split('id="timeline"')[1]
    section = page.text.split('id="timeline"')[1]
    rows = re.findall(r'<tr data-action="(delivery_[a-z_]+)"><td class="nowrap">([^<]+)</td>'
                      r'<td class="actor">([^<]+)</td><td>([^<]+)</td>', section)
    return [(when, actor, unescape(summary)) for _action, when, actor, summary in rows]


async def test_the_timeline_shows_the_applicant_mail_held_then_accepted(client, db):
    rid = "DR-2026-000811"
    async with SmtpReceiver() as smtp:
        outbox = Outbox.of(get_settings()).replace(smtp=Smtp("127.0.0.1", smtp.port, "gongkai@example.gov.cn"))
        row = await _planned(db, outbox, rid)
        morning = datetime(2026, 3, 5, 9, 0, tzinfo=CST)
        assert row.release_at == morning
        assert await DeliveryActivities(db.session_factory, outbox).send(SendInput(row.key, morning)) == "sent"
        [mail] = smtp.messages
    assert mail["To"] == ADDRESS
    await login(client, "jyj_officer")
    subject = f"政府信息公开申请已登记（{rid}）"
    assert [(when[:16], actor, summary) for when, actor, summary in await _timeline(client, rid)] == [
        ("2026-03-04 21:00", "系统", f"电子邮件（申请人）将于 2026-03-05 09:00 发送（夜间不发送）：{subject}"),
        ("2026-03-05 09:00", "系统", f"电子邮件（申请人）已接收：{subject}")]


async def test_the_timeline_says_why_a_mail_to_the_applicant_failed(client, db):
    rid = "DR-2026-000812"
    async with SmtpReceiver(refuse=[ADDRESS]) as smtp:  # no such mailbox: 550
        outbox = Outbox.of(get_settings()).replace(smtp=Smtp("127.0.0.1", smtp.port, "gongkai@example.gov.cn"))
        row = await _planned(db, outbox, rid)
        sender = DeliveryActivities(db.session_factory, outbox)
        at = row.release_at
        with pytest.raises(ApplicationError) as refused:
            await sender.send(SendInput(row.key, at))
        assert refused.value.non_retryable  # a refused address is not tried again
        await sender.give_up(GiveUpInput(row.key, refused.value.message, at + timedelta(seconds=1)))
        assert smtp.messages == []
    await login(client, "jyj_officer")
    summaries = [summary for _when, _actor, summary in await _timeline(client, rid)]
    assert summaries[1:] == ["电子邮件（申请人）发送失败（第1次）：收件地址被拒绝：550",
                             "电子邮件（申请人）未能送达：收件地址被拒绝：550"]
    async with db.session_factory() as s:
        failed = await s.get(Delivery, row.id)
    assert failed is not None and (failed.status, failed.attempts) == ("failed", 1)
