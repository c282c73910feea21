"""Disclosure requests in skipped time, one test per path, against a real database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from contracts.disclosure import ReviewRecord
from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, ClockKind, ClockSpec, compute, local_date
from gongkai.letters import chinese_date
from models import AuditEvent, Deadline, DisclosureRequest, Letter, Notification, Task, User
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from web.tasks import inbox_branches
from worker import build_activities
from workflows.disclosure import DisclosureWorkflow

START = datetime(2026, 3, 2, 9, 30, tzinfo=CST)  # a Monday with no holiday near


async def _row(db, rid) -> DisclosureRequest:
    async with db.session_factory() as s:
        return await s.get(DisclosureRequest, rid)


async def _deadline(db, did) -> Deadline:
    async with db.session_factory() as s:
        return await s.get(Deadline, did)


async def _audit(db, rid) -> list[str]:
    async with db.session_factory() as s:
        return [a.action for a in (await s.execute(select(AuditEvent).where(AuditEvent.case_id == rid)
                                                   .order_by(AuditEvent.at, AuditEvent.id))).scalars()]


async def _open_tasks(db, rid) -> list[Task]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Task).where(Task.case_id == rid, Task.status == "open"))).scalars())


async def _expected_due(db, spec: ClockSpec) -> datetime:
    async with db.session_factory() as s:
        return compute(spec, await load_calendar(s)).due_at


def _record(handle_history, name: str) -> None:
    record(handle_history.to_json(), "disclosure", name)


async def _reply(handle, a, disposition="GRANTED", reason="granted"):
    await act(handle, DisclosureWorkflow.draft_reply, a["jyj_officer"], disposition, reason, "经审查，予以公开。")
    await act(handle, DisclosureWorkflow.sign_off, a["gkb_head"], True, "")


async def test_reply_on_time(env, db, run):
    a = await actors(db)
    dept = await department_id(db, "JYJ")
    rid = "DR-2026-000101"
    handle = await start(env, run, request_input(rid, dept, await env.get_current_time()))
    await env.sleep(timedelta(seconds=3))
    row = await _row(db, rid)
    assert row.stage == "review" and row.received_date == START.date()
    reply = await _deadline(db, f"{rid}/reply")
    assert reply.due_at == await _expected_due(db, ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=START))
    tasks = await _open_tasks(db, rid)
    assert [t.kind for t in tasks] == ["stage:review"] and tasks[0].department_id == dept
    assert tasks[0].due_at == reply.due_at
    # The registration wrote the clock and the view showing its due in one step.
    assert datetime.fromisoformat(row.state["reply_due_at"]) == reply.due_at and row.version == 1

    # Another department's officer may not act; the officer claims and works the case.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await act(handle, DisclosureWorkflow.accept, a["zrzy_officer"])
    assert "本部门" in str(refused.value.cause)
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    with pytest.raises(WorkflowUpdateFailedError) as system_only:  # "deemed abandoned" is the clock's to decide
        await act(handle, DisclosureWorkflow.draft_reply, a["jyj_officer"], "OTHER", "correction_overdue", "x")
    assert "由系统根据期限自动认定" in str(system_only.value.cause)
    await act(handle, DisclosureWorkflow.draft_reply, a["jyj_officer"], "GRANTED", "granted", "予以公开。")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await act(handle, DisclosureWorkflow.sign_off, a["jyj_head"], True, "")
    assert "公开办负责人" in str(refused.value.cause)
    await act(handle, DisclosureWorkflow.sign_off, a["gkb_head"], True, "")
    await env.sleep(timedelta(days=10))
    today = local_date(await env.get_current_time()).isoformat()
    view = await act(handle, DisclosureWorkflow.send_reply, a["jyj_officer"], today, "email")
    assert view.stage == "replied"
    await act(handle, DisclosureWorkflow.archive, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.record_review, a["jyj_head"], ReviewRecord("reconsideration", "upheld"))

    row = await _row(db, rid)
    assert row.stage == "archived" and row.disposition == "GRANTED" and row.reason == "granted"
    assert (await _deadline(db, f"{rid}/reply")).state == "met"
    assert (await _deadline(db, f"{rid}/correction_notice")).state == "cancelled"
    assert await _open_tasks(db, rid) == []
    actions = await _audit(db, rid)
    # Every step once, in order (refused attempts leave nothing), and each clock's life.
    assert [x for x in actions if not x.startswith("deadline_")] == [
        "registered", "claimed", "accepted", "reply_drafted", "reply_signed_off", "reply_sent", "archived",
        "review_recorded"]
    assert sorted(x for x in actions if x.startswith("deadline_")) == [
        "deadline_cancelled", "deadline_met", "deadline_set", "deadline_set"]
    async with db.session_factory() as s:
        letters = list((await s.execute(select(Letter).where(Letter.case_id == rid))).scalars())
    assert [letter.kind for letter in letters] == ["receipt", "reply_GRANTED"]
    history = await handle.fetch_history()
    # One activity per step, its clocks' writes included (eight steps, and the review's own record);
    # one patch marker.
    markers = [e.marker_recorded_event_attributes.marker_name for e in history.events
               if e.HasField("marker_recorded_event_attributes")]
    assert markers.count("core_local_activity") == 9 and markers.count("core_patch") == 1
    _record(history, "on_time")


async def test_correction_restarts_the_reply_clock(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000102"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await env.sleep(timedelta(days=2))
    view = await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"], "请写明所需信息的年份", 10)
    assert view.stage == "correction" and view.reply_paused
    row = await _row(db, rid)
    assert row.correction_due is not None and "请写明" in row.public_note
    assert (await _deadline(db, f"{rid}/correction_notice")).state == "met"  # the notice went out within 7 WD
    await env.sleep(timedelta(days=5))
    corrected_at = await env.get_current_time()
    view = await act(handle, DisclosureWorkflow.receive_correction, a["jyj_officer"])
    assert view.stage == "review" and not view.reply_paused
    expected = await _expected_due(db, ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=corrected_at))
    assert view.reply_due_at == expected
    assert (await _deadline(db, f"{rid}/reply")).due_at == expected
    with pytest.raises(WorkflowUpdateFailedError) as once:  # Art. 30: one single correction notice
        await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"], "再补", 5)
    assert "一次性" in str(once.value.cause)
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    await _reply(handle, a)
    await act(handle, DisclosureWorkflow.send_reply, a["jyj_officer"],
              local_date(await env.get_current_time()).isoformat(), "post")
    assert (await _deadline(db, f"{rid}/reply")).state == "met"
    _record(await handle.fetch_history(), "correction")


async def test_no_correction_in_time_is_deemed_abandoned(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000103"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"], "请提供身份证明", 5)
    await env.sleep(timedelta(days=10))
    assert await handle.result() == "abandoned"
    row = await _row(db, rid)
    assert (row.stage, row.disposition, row.reason) == ("abandoned", "OTHER", "correction_overdue")
    assert (await _deadline(db, f"{rid}/reply")).state == "cancelled"
    assert "deemed_abandoned" in await _audit(db, rid)
    assert await _open_tasks(db, rid) == []
    _record(await handle.fetch_history(), "abandoned")


async def test_consultation_pauses_the_reply_clock(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000104"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    before = (await handle.query(DisclosureWorkflow.current)).reply_due_at
    await env.sleep(timedelta(days=3))
    paused_at = await env.get_current_time()
    view = await act(handle, DisclosureWorkflow.start_consultation, a["jyj_officer"], "某某建筑公司", "third_party")
    assert view.stage == "consultation" and view.reply_paused and view.reply_due_at is None
    assert (await _deadline(db, f"{rid}/reply")).state == "paused"
    consultation = await _deadline(db, f"{rid}/consultation/1")
    assert consultation.state == "running"
    # The third party stays silent past its 15 working days: the officer is told and decides.
    await env.sleep(timedelta(days=24))
    async with db.session_factory() as s:
        notes = list((await s.execute(select(Notification).where(
            Notification.deadline_id == f"{rid}/consultation/1"))).scalars())
    assert notes and all(n.user_id == a["jyj_officer"].user_id for n in notes)
    resumed_at = await env.get_current_time()
    view = await act(handle, DisclosureWorkflow.end_consultation, a["jyj_officer"], "第三方逾期未答复")
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=START).paused(paused_at).resumed(resumed_at)
    assert view.reply_due_at == await _expected_due(db, spec) and view.reply_due_at > before
    assert (await _deadline(db, f"{rid}/consultation/1")).state == "late"
    await _reply(handle, a, "DENIED", "third_party_rights")
    await act(handle, DisclosureWorkflow.send_reply, a["jyj_officer"], local_date(resumed_at).isoformat(), "post")
    assert (await _row(db, rid)).disposition == "DENIED"
    _record(await handle.fetch_history(), "consultation")


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "refused"])
async def test_extension(env, db, run, approve):
    a = await actors(db)
    rid = f"DR-2026-00020{int(approve)}"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    before = (await handle.query(DisclosureWorkflow.current)).reply_due_at
    with pytest.raises(WorkflowUpdateFailedError) as too_long:
        await act(handle, DisclosureWorkflow.request_extension, a["jyj_officer"], 25, "信息量大")
    assert "20个工作日" in str(too_long.value.cause)
    await act(handle, DisclosureWorkflow.request_extension, a["jyj_officer"], 15, "需调取档案")
    assert [t.role for t in await _open_tasks(db, rid) if t.kind == "stage:extension"] == ["office_head"]
    with pytest.raises(WorkflowUpdateFailedError):
        await act(handle, DisclosureWorkflow.decide_extension, a["jyj_head"], True, "")
    comment = "同意" if approve else "理由不足"
    view = await act(handle, DisclosureWorkflow.decide_extension, a["gkb_head"], approve, comment)
    async with db.session_factory() as s:
        letters = [x.kind for x in (await s.execute(select(Letter).where(Letter.case_id == rid))).scalars()]
    if approve:
        spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=START).extended(15, START)
        assert view.reply_due_at == await _expected_due(db, spec)
        assert (await _row(db, rid)).extension_days == 15 and letters == ["receipt", "extension"]
    else:
        assert view.reply_due_at == before and letters == ["receipt"]
        assert view.extension.status == "refused"
    assert not [t for t in await _open_tasks(db, rid) if t.kind == "stage:extension"]
    _record(await handle.fetch_history(), f"extension_{'approved' if approve else 'refused'}")


async def test_overdue_escalates_to_supervisor_then_leader(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000301"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.accept, a["jyj_officer"])
    due = (await handle.query(DisclosureWorkflow.current)).reply_due_at
    await env.sleep(due - await env.get_current_time() + timedelta(hours=1))
    row = await _deadline(db, f"{rid}/reply")
    assert row.level == 1
    async with db.session_factory() as s:
        sup = list((await s.execute(select(Task).where(Task.case_id == rid, Task.role == "supervisor"))).scalars())
    assert len(sup) == 1 and sup[0].status == "open"
    await env.sleep(timedelta(days=7))
    assert (await _deadline(db, f"{rid}/reply")).level == 2
    async with db.session_factory() as s:
        leader_notes = list((await s.execute(select(Notification).where(
            Notification.case_id == rid, Notification.user_id == a["leader"].user_id))).scalars())
    assert len(leader_notes) == 1 and "已超期" in leader_notes[0].title
    await _reply(handle, a)
    await act(handle, DisclosureWorkflow.send_reply, a["jyj_officer"],
              local_date(await env.get_current_time()).isoformat(), "post")
    assert (await _deadline(db, f"{rid}/reply")).state == "late"
    assert not [t for t in await _open_tasks(db, rid) if t.kind.startswith("escalation")]
    _record(await handle.fetch_history(), "overdue")


async def test_withdrawal(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000401"
    inp = request_input(rid, await department_id(db, "GKB"), await env.get_current_time(), channel="online",
                        received=None)
    handle = await start(env, run, inp)
    await env.sleep(timedelta(seconds=3))
    row = await _row(db, rid)
    assert row.stage == "awaiting_confirmation" and row.received_date is None
    assert await _deadline(db, f"{rid}/reply") is None  # no clock until receipt is confirmed
    await act(handle, DisclosureWorkflow.confirm_receipt, a["gkb_officer"],
              local_date(await env.get_current_time()).isoformat())
    assert (await _deadline(db, f"{rid}/reply")).state == "running"
    applicant = a["gkb_officer"].__class__(0, "applicant", "applicant", 0)
    view = await act(handle, DisclosureWorkflow.withdraw, applicant, "已通过其他途径获得")
    assert view.stage == "withdrawn"
    assert await handle.result() == "withdrawn"
    row = await _row(db, rid)
    assert (row.disposition, row.reason) == ("OTHER", "other")
    assert (await _deadline(db, f"{rid}/reply")).state == "cancelled"
    assert await _open_tasks(db, rid) == []
    _record(await handle.fetch_history(), "withdrawal")


async def test_letters_are_rendered_with_the_case_data_and_escaped(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000501"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(handle, DisclosureWorkflow.request_correction, a["jyj_officer"], '<script>alert(1)</script>年份', 10)
    async with db.session_factory() as s:
        letter = (await s.execute(select(Letter).where(Letter.case_id == rid, Letter.kind == "correction"))
                  ).scalar_one()
        row = await s.get(DisclosureRequest, rid)
    assert "补正申请告知书" in letter.body and "补正后重新计算" in letter.body
    assert "王小明" in letter.body and chinese_date(row.correction_due) in letter.body
    assert "<script>" not in letter.body and "&lt;script&gt;" in letter.body


@pytest.fixture
async def with_start(db):
    """A dev server (the time-skipping one does not take an update with the start) and a worker;
    yields a function that starts a request with an update delivered in its first task."""
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    from tests.support.temporal import dev_server

    env = await dev_server()
    queue = f"q-{uuid.uuid4()}"

    async def send(inp, update, *args):
        op = WithStartWorkflowOperation(DisclosureWorkflow.run, inp, id=inp.request_id, task_queue=queue,
                                        id_conflict_policy=WorkflowIDConflictPolicy.FAIL)
        view = await env.client.execute_update_with_start_workflow(update, args=list(args), start_workflow_operation=op)
        return view, await op.workflow_handle()

    try:
        async with Worker(env.client, task_queue=queue, workflows=[DisclosureWorkflow],
                          activities=build_activities(db.session_factory)):
            yield send
    finally:
        await env.shutdown()


async def test_an_update_delivered_with_the_start_sees_the_case(db, with_start):
    """The web waits for a new case to show before acting, but another system may not: an update
    that arrives in the workflow's first task is validated against the case's input."""
    a = await actors(db)
    inp = request_input("DR-2026-000190", await department_id(db, "JYJ"), datetime.now(CST))
    view, handle = await with_start(inp, DisclosureWorkflow.claim, a["jyj_officer"])
    assert view.assignee_id == a["jyj_officer"].user_id
    with pytest.raises(WorkflowUpdateFailedError) as other:
        await handle.execute_update(DisclosureWorkflow.claim, a["zrzy_officer"])
    assert "认领" in str(other.value.cause)
    assert (await _row(db, inp.request_id)).assignee_id == a["jyj_officer"].user_id


async def test_a_stage_changing_update_delivered_with_the_start_is_kept(db, with_start):
    """The SDK may run an update's handler before run() starts. A confirmation delivered with the start
    of an online request waits for the case to be opened (its confirmation clock started), then meets
    that clock, moves the case to review and starts the reply clock; run() must not undo that (it
    used to set the stage again, leaving the case "awaiting confirmation" with its reply clock running)."""
    a = await actors(db)
    now = datetime.now(CST)
    today = local_date(now).isoformat()
    inp = request_input("DR-2026-000191", await department_id(db, "GKB"), now, channel="online", received=None)
    view, handle = await with_start(inp, DisclosureWorkflow.confirm_receipt, a["gkb_officer"], today)
    assert view.stage == "review" and view.reply_due_at is not None
    state = await handle.query(DisclosureWorkflow.current)
    assert state.stage == "review" and state.received_date == today
    row = await _row(db, inp.request_id)
    assert row.stage == "review" and row.received_date == local_date(now)
    assert (await _deadline(db, f"{inp.request_id}/reply")).state == "running"
    # It acted on the case as opened: the confirmation clock started with it, and was met.
    assert (await _deadline(db, f"{inp.request_id}/confirmation")).state == "met"
    assert [t.kind for t in await _open_tasks(db, inp.request_id)] == ["stage:review"]
    # The confirmation is done: a second one is refused for the stage, not taken again.
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await handle.execute_update(DisclosureWorkflow.confirm_receipt, args=[a["gkb_officer"], today])
    assert "当前阶段（审核）不能确认收到" in str(again.value.cause)


async def test_a_transfer_moves_the_clocks_to_the_new_department(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000701"
    jyj, zrzy = await department_id(db, "JYJ"), await department_id(db, "ZRZY")
    handle = await start(env, run, request_input(rid, jyj, await env.get_current_time()))
    view = await act(handle, DisclosureWorkflow.assign, a["gkb_head"], 0, zrzy)
    assert view.department_id == zrzy and view.assignee_id is None
    reply = await _deadline(db, f"{rid}/reply")
    assert reply.department_id == zrzy and reply.due_at == view.reply_due_at  # moved, due unchanged
    tasks = await _open_tasks(db, rid)
    assert [(t.kind, t.department_id) for t in tasks] == [("stage:review", zrzy)]
    with pytest.raises(WorkflowUpdateFailedError) as refused:  # the old department's officer no longer acts
        await act(handle, DisclosureWorkflow.claim, a["jyj_officer"])
    assert "只有本部门经办人可以认领" in str(refused.value.cause)
    await act(handle, DisclosureWorkflow.claim, a["zrzy_officer"])
    assert "transferred" in await _audit(db, rid)


async def test_a_clock_that_cannot_be_computed_is_an_administrators_task_not_an_endless_retry(env, db, run):
    """A received date whose 20 working days run past year 9999 (here passed straight to the workflow;
    the forms refuse it): the schedule fails once, non-retryably; the case still appears, in review,
    and the administrators' inbox has an error task saying which clocks and why."""
    a = await actors(db)
    rid = "DR-2026-000801"
    handle = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time(),
                                                 received="9999-12-20"))
    # The claim is projected after the registration, so once it returns the case is in SQL.
    view = await asyncio.wait_for(act(handle, DisclosureWorkflow.claim, a["jyj_officer"]), timeout=60)
    assert view.stage == "review" and view.reply_due_at is None
    row = await _row(db, rid)
    assert row.stage == "review" and row.version == 2
    assert await _deadline(db, f"{rid}/reply") is None
    error = next(t for t in await _open_tasks(db, rid) if t.kind == "stage:clock_failed")
    assert error.role == "admin" and error.department_id is None and error.assignee_id is None
    assert "答复期限" in error.title and "无法计算" in error.title and "超出工作日历可计算的范围" in error.title
    async with db.session_factory() as s:
        admin = (await s.execute(select(User).where(User.username == "admin"))).scalar_one()
        inbox = {t.id for branch in inbox_branches(admin) for t in (await s.execute(branch)).scalars()}
    assert error.id in inbox

    history = await handle.fetch_history()
    failed = [e for e in history.events if e.HasField("marker_recorded_event_attributes")
              and e.marker_recorded_event_attributes.HasField("failure")]
    # The registration's step failed once (nothing written), then each clock's schedule once, and
    # none was retried.
    assert len(failed) == 3
    assert not any(e.HasField("workflow_task_failed_event_attributes") for e in history.events)
    assert not (await handle.describe()).raw_description.pending_activities
    _record(history, "clock_failed")
