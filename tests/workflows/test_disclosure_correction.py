"""Corrections in skipped time: the applicant's online submission and its recorded receipt, a postal
correction registered with its own (earlier) date, refused dates, the receipt sent with no arguments
as it was first written; and the office's clock for confirming an online request."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import col, select
from temporalio.client import WorkflowUpdateFailedError

from contracts.disclosure import Attachment
from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, ClockKind, ClockSpec, compute, local_date, start_of_day
from gongkai.roles import APPLICANT
from models import AuditEvent, Deadline, DisclosureAttachment, DisclosureRequest, Notification, Task
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from workflows.disclosure import DisclosureWorkflow

START = datetime(2026, 3, 2, 9, 30, tzinfo=CST)  # a Monday with no holiday near
SCAN = Attachment("补正申请.pdf", "application/pdf", 2048, "ab" * 32)
MORE = Attachment("身份证明.png", "image/png", 1024, "cd" * 32)


async def _get(db, model, key):
    async with db.session_factory() as s:
        return await s.get(model, key)


async def _open_tasks(db, rid) -> list[Task]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Task).where(Task.case_id == rid, Task.status == "open"))).scalars())


async def _due_from(db, day: date) -> datetime:
    """The reply period restarted at the start of `day` (Beijing): 20 working days from it."""
    async with db.session_factory() as s:
        spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=start_of_day(day))
        due = compute(spec, await load_calendar(s))
    assert due.due_at is not None
    return due.due_at


async def _today(env) -> date:
    return local_date(await env.get_current_time())


async def _in_correction(env, db, queue: str, rid: str):
    """A request received today, claimed, and on the next day sent a correction notice (10 WD)."""
    a = await actors(db)
    handle = await start(env, queue, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await env.sleep(timedelta(days=1))
    view = await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"], "请写明所需信息的年份", 10)
    assert view.stage == "correction" and view.correction_requested == "2026-03-03"
    return handle, a


async def _refused(handle, update, *args) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await act(handle, update, *args)
    return str(refused.value.cause)


async def test_online_correction_then_receipt_on_its_date(env, db, run):
    rid = "DR-2026-000901"
    handle, a = await _in_correction(env, db, run, rid)
    await env.sleep(timedelta(days=1))  # Wednesday: the applicant sends it from /track
    assert "只有申请人" in await _refused(handle, DisclosureWorkflow.submit_correction, a["jyj_officer"], "x", [])
    assert "请填写补正后的申请内容" in await _refused(handle, DisclosureWorkflow.submit_correction, APPLICANT, " ", [])
    view = await act(handle, DisclosureWorkflow.submit_correction, APPLICANT, "所需信息为2025年度的招生计划", [SCAN])
    assert view.stage == "correction" and view.reply_paused
    [sent] = view.corrections
    assert (sent.channel, sent.received_date, sent.files) == ("online", None, [SCAN])
    assert local_date(sent.submitted_at) == date(2026, 3, 4)
    assert (await _get(db, Deadline, f"{rid}/correction_period")).state == "met"  # sent within the period
    row = await _get(db, DisclosureRequest, rid)
    assert "已在线提交补正材料" in row.public_note
    tasks = await _open_tasks(db, rid)
    assert [(t.kind, t.department_id) for t in tasks] == [("stage:correction", view.department_id)]

    # A second part the next day is kept with the first (the receipt then dates from it).
    await env.sleep(timedelta(days=1))
    view = await act(handle, DisclosureWorkflow.submit_correction, APPLICANT, "", [MORE])
    assert [c.channel for c in view.corrections] == ["online", "online"]
    # The officer records it on Monday: refused before it was sent, otherwise dated the day it was sent.
    await env.sleep(timedelta(days=4))
    assert "不能早于申请人在线提交的日期" in await _refused(
        handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], "2026-03-04", "online", "", [])
    assert "无需另行填写" in await _refused(
        handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], "", "online", "附言", [])
    view = await act(handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], "", "online", "", [])
    assert view.stage == "review" and not view.reply_paused and view.corrected
    assert [c.received_date for c in view.corrections] == ["2026-03-05", "2026-03-05"]
    due = await _due_from(db, date(2026, 3, 5))
    assert view.reply_due_at == due and (await _get(db, Deadline, f"{rid}/reply")).due_at == due
    assert (await _get(db, Deadline, f"{rid}/reply")).start_at == start_of_day(date(2026, 3, 5))
    async with db.session_factory() as s:
        files = list((await s.execute(select(DisclosureAttachment).where(
            DisclosureAttachment.request_id == rid, col(DisclosureAttachment.correction).is_not(None))
            .order_by(col(DisclosureAttachment.correction)))).scalars())
    assert [(f.correction, f.filename, f.sha256) for f in files] == [
        (1, SCAN.filename, SCAN.sha256), (2, MORE.filename, MORE.sha256)]
    assert [t.kind for t in await _open_tasks(db, rid)] == ["stage:review"]
    async with db.session_factory() as s:
        [entry] = list((await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == rid, AuditEvent.action == "correction_received"))).scalars())
    assert "答复期限补正后重新计算，自 2026-03-05 起 20 个工作日" in entry.summary
    record((await handle.fetch_history()).to_json(), "disclosure", "correction_online")


async def test_a_postal_correction_is_registered_back_dated(env, db, run):
    rid = "DR-2026-000902"
    handle, a = await _in_correction(env, db, run, rid)
    await env.sleep(timedelta(days=6))  # Monday 9 March: the letter came on Thursday 5 March
    assert "请填写补正后的申请内容" in await _refused(
        handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], "2026-03-05", "post", "", [])
    assert "请选择邮寄或当面提交" in await _refused(
        handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], "2026-03-05", "online", "", [])
    view = await act(handle, DisclosureWorkflow.receive_correction, a["jyj_officer"], "2026-03-05", "post",
                     "所需信息为2025年度的招生计划", [SCAN])
    [got] = view.corrections
    assert (got.channel, got.received_date, got.submitted_at, got.files) == ("post", "2026-03-05", None, [SCAN])
    due = await _due_from(db, date(2026, 3, 5))
    assert view.reply_due_at == due and (await _get(db, Deadline, f"{rid}/reply")).due_at == due
    assert (await _get(db, Deadline, f"{rid}/correction_period")).state == "met"
    async with db.session_factory() as s:
        [scan] = list((await s.execute(select(DisclosureAttachment).where(
            DisclosureAttachment.request_id == rid, DisclosureAttachment.correction == 1))).scalars())
    assert scan.sha256 == SCAN.sha256
    record((await handle.fetch_history()).to_json(), "disclosure", "correction_post")


async def test_a_bad_receipt_date_is_refused(env, db, run):
    rid = "DR-2026-000903"
    handle, a = await _in_correction(env, db, run, rid)
    await env.sleep(timedelta(days=2))
    officer = a["jyj_officer"]
    for day, message in [("2026-03-06", "不能晚于今天"), ("2026-03-02", "不能早于发出补正告知的日期（2026-03-03）"),
                         ("1989-12-31", "不在系统可计算期限的范围内"), ("3月5日", "格式应为 YYYY-MM-DD")]:
        assert message in await _refused(handle, DisclosureWorkflow.receive_correction, officer, day, "in_person",
                                         "当面补正", [])
    assert "收到方式" in await _refused(handle, DisclosureWorkflow.receive_correction, officer, "", "fax", "x", [])
    view = await handle.query(DisclosureWorkflow.current)
    assert view.stage == "correction" and view.corrections == [] and view.reply_paused  # nothing taken


async def test_the_receipt_sent_with_no_arguments_still_works(env, db, run):
    """receive_correction as first written (the actor only): dated today, the period restarts from
    the start of today."""
    rid = "DR-2026-000904"
    handle, a = await _in_correction(env, db, run, rid)
    await env.sleep(timedelta(days=2))
    today = await _today(env)
    view = await act(handle, DisclosureWorkflow.receive_correction, a["jyj_officer"])
    assert view.stage == "review" and view.corrected
    assert [(c.channel, c.received_date) for c in view.corrections] == [("", today.isoformat())]
    assert view.reply_due_at == await _due_from(db, today)
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    assert (await _get(db, DisclosureRequest, rid)).stage == "handling"


# -- the office's clock for confirming an online request ---------------------------------------------
async def test_an_unconfirmed_request_reminds_then_escalates_and_confirming_ends_its_clock(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000905"
    gkb = await department_id(db, "GKB")
    handle = await start(env, run, request_input(rid, gkb, await env.get_current_time(), channel="online",
                                                          received=None))
    await env.sleep(timedelta(seconds=3))
    clock = await _get(db, Deadline, f"{rid}/confirmation")
    assert clock.state == "running" and clock.rule == "confirmation" and clock.last_day == date(2026, 3, 3)
    [task] = await _open_tasks(db, rid)
    assert task.kind == "stage:confirm" and task.due_at == clock.due_at and task.deadline_id == clock.id

    await env.sleep(clock.due_at - await env.get_current_time() + timedelta(hours=1))
    clock = await _get(db, Deadline, f"{rid}/confirmation")
    assert clock.level == 1
    async with db.session_factory() as s:
        notes = list((await s.execute(select(Notification).where(
            Notification.deadline_id == clock.id).order_by(col(Notification.id)))).scalars())
    reminded = {n.user_id for n in notes if n.level == 0}
    assert a["gkb_officer"].user_id in reminded  # nobody has claimed it: the office's officers
    assert any(n.user_id == a["duban"].user_id and n.level == 1 for n in notes)
    escalations = [t for t in await _open_tasks(db, rid) if t.kind.startswith("escalation")]
    assert [t.role for t in escalations] == ["supervisor"]
    await env.sleep(timedelta(days=2))
    assert (await _get(db, Deadline, f"{rid}/confirmation")).level == 2

    view = await act(handle, DisclosureWorkflow.confirm_receipt, a["gkb_officer"], "2026-03-02")
    assert view.stage == "review"
    assert (await _get(db, Deadline, f"{rid}/confirmation")).state == "late"
    assert [t.kind for t in await _open_tasks(db, rid)] == ["stage:review"]  # the escalations are done too
    record((await handle.fetch_history()).to_json(), "disclosure", "confirmation_overdue")


async def test_confirming_in_time_meets_the_clock_and_withdrawing_cancels_it(env, db, run):
    a = await actors(db)
    gkb = await department_id(db, "GKB")
    now = await env.get_current_time()
    confirmed = await start(env, run, request_input("DR-2026-000906", gkb, now, channel="online",
                                                             received=None))
    withdrawn = await start(env, run, request_input("DR-2026-000907", gkb, now, channel="ordinary_mail",
                                                             received=None))
    await act(confirmed, DisclosureWorkflow.confirm_receipt, a["gkb_officer"], "2026-03-02")
    assert (await _get(db, Deadline, "DR-2026-000906/confirmation")).state == "met"
    await act(withdrawn, DisclosureWorkflow.withdraw, APPLICANT, "不再需要")
    assert (await _get(db, Deadline, "DR-2026-000907/confirmation")).state == "cancelled"
    assert await _open_tasks(db, "DR-2026-000907") == []
