"""Applicants who gave an e-mail address get the receipt, the correction notice and the reply by
e-mail too, in skipped time against a real SMTP receiver: each mail says what happened and what to do,
with the tracking code and the /track link, and nothing of the applicant's ID number, phone, name or
address (nor a query code). A request without an address sends none; a retried projection starts a
mail that its first attempt planned and never sends one twice; a notice at night waits for 09:00."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlmodel import col, select
from temporalio.testing import ActivityEnvironment

from activities.delivery import Outbox, workflow_id
from activities.disclosure import DisclosureActivities
from contracts.case import CaseProjection, LetterSpec
from contracts.disclosure import CreateInput, DisclosureInput, DisclosureView
from gongkai.clock import CST
from gongkai.disclosure import Stage
from gongkai.instants import deadline_text
from gongkai.settings import get_settings
from models import AuditEvent, Deadline, Delivery
from tests.support.sending import Sending, sending
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from worker import lookup_keys
from workflows.disclosure import DisclosureWorkflow

WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=CST)  # no holiday near
ADDRESS = "wang.xiaoming@example.com"
LINK_BASE = "https://gongkai.example.gov.cn"
TRACK = f"{LINK_BASE}/track"
PERSONAL = ("110101199001011234", "13800000000", "王小明", "幸福路8号")  # ID, phone, name, address


Office = Sending


def office(db, at: datetime):
    return sending(db, at, [DisclosureWorkflow], link_base=LINK_BASE)


def with_email(inp: DisclosureInput, email: str = ADDRESS) -> DisclosureInput:
    applicant = dataclasses.replace(inp.applicant, email=email, address="北京市东城区幸福路8号")
    return dataclasses.replace(inp, applicant=applicant)


async def _get(db, model, key):
    async with db.session_factory() as s:
        return await s.get(model, key)


async def _deliveries(db, rid: str) -> list[Delivery]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Delivery).where(Delivery.case_id == rid).order_by(
            col(Delivery.id)))).scalars())


async def _delivered(o: Office, db, rid: str, n: int) -> list[Delivery]:
    """The case's `n` mails, each after its delivery workflow has finished (time skips to its release)."""
    rows = await _deliveries(db, rid)
    assert len(rows) == n, [r.key for r in rows]
    for row in rows:
        assert await o.env.client.get_workflow_handle(workflow_id(row.key)).result() == "sent"
    return await _deliveries(db, rid)


async def _timeline(db, rid: str, prefix: str = "delivery_") -> list[str]:
    async with db.session_factory() as s:
        return [e.summary for e in (await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == rid, col(AuditEvent.action).startswith(prefix)).order_by(
            col(AuditEvent.at), col(AuditEvent.id)))).scalars()]


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return body.get_content()


def _check(mail: EmailMessage, rid: str, subject: str, *said: str) -> str:
    text = _text(mail)
    assert mail["Subject"] == subject and mail["To"] == ADDRESS, (mail["Subject"], mail["To"])
    assert rid in text and TRACK in text, text
    for part in said:
        assert part in text, (part, text)
    for personal in PERSONAL:  # nowhere in the mail, headers included
        assert personal not in mail.as_string() and personal not in text, personal
    assert "本邮件不含查询码" in text
    return text


async def test_receipt_correction_and_reply_reach_the_applicant_by_email(db):
    async with office(db, WEDNESDAY) as o:
        a = await actors(db)
        rid = "DR-2026-000801"
        handle = await start(o.env, o.queue, with_email(request_input(
            rid, await department_id(db, "JYJ"), await o.env.get_current_time())))
        await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
        [receipt] = await _delivered(o, db, rid, 1)
        assert (receipt.cause, receipt.channel, receipt.applicant) == ("applicant", "email", True)
        assert receipt.user_id is None and receipt.link == ""  # the link is in the text, for /track
        assert receipt.key == f"{rid}/letter:receipt/1/email/applicant" and receipt.attempts == 1
        [mail] = o.smtp.messages
        reply = await _get(db, Deadline, f"{rid}/reply")
        _check(mail, rid, f"政府信息公开申请已登记（{rid}）", "收到申请之日为2026年3月4日",
               f"答复期限{deadline_text(reply.due_at)}（北京时间）", "查询办理进度")
        assert o.smtp.envelopes[0][1] == [ADDRESS]

        await o.env.sleep(timedelta(days=1))
        view = await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"],
                         "请写明所需信息的年份\n请写明学校名称", 10)
        await _delivered(o, db, rid, 2)
        due = date.fromisoformat(view.correction_due)
        text = _check(o.smtp.messages[1], rid, f"请补正政府信息公开申请（{rid}）",
                      "需补正的事项：请写明所需信息的年份；请写明学校名称。", f"请于2026年3月{due.day}日前补正",
                      "在线提交补正材料")
        assert "视为放弃申请" in text

        today = (await o.env.get_current_time()).astimezone(CST).date().isoformat()
        view = await act(handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], today, "post",
                         "所需信息为2025年度")
        assert view.stage == "review"
        await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
        await act(handle, DisclosureWorkflow.draft_reply, a["jyj_officer"], "GRANTED", "granted", "经审查，予以公开。")
        await act(handle, DisclosureWorkflow.sign_off, a["gkb_head"], True, "")
        await act(handle, DisclosureWorkflow.send_reply, a["jyj_officer"], today, "online")
        await _delivered(o, db, rid, 3)
        _check(o.smtp.messages[2], rid, f"政府信息公开申请已答复（{rid}）", "作出答复（予以公开）",
               "送达方式：网上送达", "可凭受理编号", "阅读和下载", "行政复议")
        assert len(o.smtp.messages) == 3
        assert len({m["Message-ID"] for m in o.smtp.messages}) == 3

        # The case's timeline shows each mail as the applicant's, accepted, with its subject.
        assert await _timeline(db, rid) == [
            f"电子邮件（申请人）已接收：政府信息公开申请已登记（{rid}）",
            f"电子邮件（申请人）已接收：请补正政府信息公开申请（{rid}）",
            f"电子邮件（申请人）已接收：政府信息公开申请已答复（{rid}）"]


async def test_a_request_without_an_address_sends_no_mail(db):
    async with office(db, WEDNESDAY) as o:
        a = await actors(db)
        rid = "DR-2026-000802"
        handle = await start(o.env, o.queue, request_input(rid, await department_id(db, "JYJ"),
                                                           await o.env.get_current_time()))
        await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
        view = await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"], "请写明年份", 10)
        assert view.stage == "correction"
        assert await _deliveries(db, rid) == [] and o.smtp.messages == []


async def test_a_notice_written_at_night_waits_for_nine_in_the_morning(db):
    # An online request sent on Saturday at 22:30: its receipt is mailed on Sunday at 09:00 (a
    # citizen's mail keeps the night quiet, not the office's weekend).
    saturday_night = datetime(2026, 3, 7, 22, 30, tzinfo=CST)
    async with office(db, saturday_night) as o:
        rid = "DR-2026-000803"
        inp = with_email(request_input(rid, await department_id(db, "JYJ"), await o.env.get_current_time(),
                                       channel="online", received=None))
        handle = await start(o.env, o.queue, inp)
        assert (await act(handle, DisclosureWorkflow.claim, (await actors(db))["jyj_officer"])).stage \
            == Stage.AWAITING_CONFIRMATION
        [held] = await _deliveries(db, rid)
        assert held.release_at == datetime(2026, 3, 8, 9, 0, tzinfo=CST) and held.status == "pending"
        assert o.smtp.messages == []
        assert await _timeline(db, rid) == [
            f"电子邮件（申请人）将于 2026-03-08 09:00 发送（夜间不发送）：政府信息公开申请已登记（{rid}）"]
        nine = datetime(2026, 3, 8, 9, 0, tzinfo=CST)
        await o.env.sleep(nine - timedelta(minutes=1) - await o.env.get_current_time())
        assert o.smtp.messages == [] and (await _deliveries(db, rid))[0].status == "pending"
        await o.env.sleep(timedelta(minutes=2))
        [sent] = await _delivered(o, db, rid, 1)
        assert sent.sent_at is not None and nine <= sent.sent_at < nine + timedelta(minutes=1)
        [mail] = o.smtp.messages
        _check(mail, rid, f"政府信息公开申请已登记（{rid}）", "本机关确认收到日期后开始计算答复期限")


def _receipt(rid: str, dept: int, at: datetime) -> CaseProjection:
    view = DisclosureView(stage=Stage.REVIEW, department_id=dept, received_date=at.astimezone(CST).date().isoformat(),
                          request_id=rid, version=1)
    return CaseProjection(rid, rid, 1, json.loads(json.dumps(asdict(view), default=str)), "jyj_officer",
                          "registered", "收到申请（当面提交）", at,
                          letters=[LetterSpec(f"{rid}/letter:receipt/1", "receipt", "政府信息公开申请登记回执")])


async def test_a_retried_projection_starts_the_mail_once_and_never_sends_it_twice(db):
    async with office(db, WEDNESDAY) as o:
        rid = "DR-2026-000804"
        dept = await department_id(db, "JYJ")
        at = await o.env.get_current_time()
        acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()), o.outbox)
        await acts.create(CreateInput(with_email(request_input(rid, dept, at)), rid, "review", 2026))
        projection = _receipt(rid, dept, at)

        # The first attempt commits (the letter and its mail planned) and dies before starting the mail:
        # here, it runs outside a worker, where nothing can start it.
        await acts.project(projection)
        [planned] = await _deliveries(db, rid)
        assert planned.status == "pending" and o.smtp.messages == []

        # Its retry finds the projection applied, and starts the mail; retries after it start nothing.
        retry = ActivityEnvironment(client=o.env.client)
        retry.info = dataclasses.replace(retry.info, task_queue=o.queue)
        assert await retry.run(acts.project, projection) == 0
        [sent] = await _delivered(o, db, rid, 1)
        first_run = (await o.env.client.get_workflow_handle(workflow_id(sent.key)).describe()).run_id
        assert await retry.run(acts.project, projection) == 0
        assert await retry.run(acts.project, dataclasses.replace(projection, at=at + timedelta(seconds=1))) == 0
        [again] = await _delivered(o, db, rid, 1)
        assert (again.status, again.attempts, again.interrupted) == ("sent", 1, 0)
        assert (await o.env.client.get_workflow_handle(workflow_id(sent.key)).describe()).run_id == first_run
        assert len(o.smtp.messages) == 1


async def test_no_mail_is_planned_without_a_mail_server(db):
    rid = "DR-2026-000805"
    dept = await department_id(db, "JYJ")
    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()),
                                Outbox.of(get_settings()).replace(smtp=None))
    await acts.create(CreateInput(with_email(request_input(rid, dept, WEDNESDAY)), rid, "review", 2026))
    await acts.project(_receipt(rid, dept, WEDNESDAY))
    assert await _deliveries(db, rid) == []
