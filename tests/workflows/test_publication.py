"""Publication items (主动公开事项) in skipped time: each on the clock of its kind's rule in the
case's rules, through confidentiality review to publication on every required channel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from contracts.publication import PublicationInput
from gongkai import publication as rules
from gongkai.clock import CST
from gongkai.rule_store import book_of, latest
from models import AuditEvent, Deadline, Notification, PublicationItem, Task, User
from tests.support.histories import record, replayer
from tests.workflows.disclosure_support import act, actors, department_id
from workflows.publication import PublicationWorkflow
from workflows.registry import WORKFLOWS

START = datetime(2026, 9, 25, 10, 0, tzinfo=CST)  # Friday, the week before National Day


async def _book(db, profile: str):
    async with db.session_factory() as s:
        return book_of(await latest(s, profile)).only(rules.RULES)


async def _start(env, db, queue, case_id: str, kind: str, triggered: datetime, channels: list[str], *,
                 profile: str = "linyi", secrecy_review: bool = True):
    inp = PublicationInput(case_id, f"测试事项 {case_id}", kind, await department_id(db, "JYJ"), triggered, channels,
                           secrecy_review=secrecy_review, created_by="jyj_officer", rules=await _book(db, profile))
    handle = await env.client.start_workflow(PublicationWorkflow.run, inp, id=case_id, task_queue=queue)
    async with db.session_factory() as s:
        for _ in range(200):
            if await s.get(PublicationItem, case_id):
                break
            await env.sleep(timedelta(seconds=1))
    return handle


async def _deadline(db, case_id: str) -> Deadline:
    async with db.session_factory() as s:
        row = await s.get(Deadline, f"{case_id}/publication")
        assert row is not None
        return row


async def _row(db, case_id: str) -> PublicationItem:
    async with db.session_factory() as s:
        row = await s.get(PublicationItem, case_id)
        assert row is not None
        return row


async def _sleep_until(env, at: datetime) -> None:
    await env.sleep(at - await env.get_current_time())


async def test_a_penalty_decision_published_on_both_websites_by_the_seventh_working_day(env, db, run):
    """双公示 under 临沂's 7 WD (二(五)): a decision of Friday 2026-09-25 is due on 2026-10-12 (9-28, 9-29,
    9-30, 10-08, 10-09, the make-up Saturday 10-10, 10-12), and is met once both websites have it."""
    a = await actors(db)
    cid = "PI-2026-000001"
    h = await _start(env, db, run, cid, "licensing_penalty", START, ["dept_website", "gov_website"])
    clock = await _deadline(db, cid)
    assert clock.rule == "decision_publication"
    assert clock.due_at == datetime(2026, 10, 13, 0, 0, tzinfo=CST)  # 24:00 of 2026-10-12
    await act(h, PublicationWorkflow.submit, a["jyj_officer"])
    with pytest.raises(WorkflowUpdateFailedError):  # an officer does not review
        await act(h, PublicationWorkflow.review, a["jyj_officer"], True, "")
    await act(h, PublicationWorkflow.review, a["jyj_head"], True, "")
    await _sleep_until(env, datetime(2026, 10, 12, 9, 0, tzinfo=CST))
    at = datetime(2026, 10, 12, 8, 30, tzinfo=CST).isoformat()
    view = await act(h, PublicationWorkflow.publish, a["jyj_officer"], "dept_website", "https://jyj.example.gov.cn/1",
                     at)
    assert view.missing == ["gov_website"] and view.stage == rules.Stage.PUBLISHING
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await act(h, PublicationWorkflow.publish, a["jyj_officer"], "dept_website", "https://jyj.example.gov.cn/1", at)
    assert "已登记" in str(twice.value.cause)
    view = await act(h, PublicationWorkflow.publish, a["jyj_officer"], "gov_website", "https://www.example.gov.cn/2",
                     at)
    assert view.stage == rules.Stage.DONE and view.outcome == "met"
    assert await h.result() == "done"
    row, clock = await _row(db, cid), await _deadline(db, cid)
    assert (row.stage, row.outcome, row.published_channels, clock.state) == ("done", "met", 2, "met")
    history = await h.fetch_history()
    record(history.to_json(), "publication", "penalty_on_time")
    await replayer(WORKFLOWS).replay_workflow(history)


async def test_one_website_only_stays_open_and_escalates(env, db, run):
    a = await actors(db)
    cid = "PI-2026-000002"
    h = await _start(env, db, run, cid, "licensing_penalty", START, ["dept_website", "gov_website"],
                     secrecy_review=False)
    await act(h, PublicationWorkflow.submit, a["jyj_officer"])
    await act(h, PublicationWorkflow.publish, a["jyj_officer"], "dept_website", "https://jyj.example.gov.cn/3",
              (await env.get_current_time()).isoformat())
    await _sleep_until(env, datetime(2026, 10, 13, 1, 0, tzinfo=CST))  # past 24:00 of the 7th working day
    row, clock = await _row(db, cid), await _deadline(db, cid)
    assert row.stage == "publishing" and clock.state == "running" and clock.level >= 1
    async with db.session_factory() as s:
        supervisor = (await s.execute(select(User).where(User.username == "duban"))).scalar_one()
        told = list((await s.execute(select(Notification).where(
            Notification.case_id == cid, Notification.user_id == supervisor.id))).scalars())
        tasks = list((await s.execute(select(Task).where(Task.case_id == cid, Task.status == "open"))).scalars())
        audit = [e.action for e in (await s.execute(select(AuditEvent).where(AuditEvent.case_id == cid))).scalars()]
    assert told and "【已到期】" in told[0].title
    assert {t.kind for t in tasks} >= {"stage:publication_publishing", "escalation:supervisor"}
    assert "deadline_escalated" in audit
    await h.terminate("test done")


async def test_a_24_hour_repost_runs_through_the_night(env, db, run):
    """A higher-level policy released at 20:00 must be reposted by 20:00 the next day (24 h, hours run
    through the night and the weekend)."""
    a = await actors(db)
    cid = "PI-2026-000003"
    released = datetime(2026, 9, 25, 20, 0, tzinfo=CST)
    await _sleep_until(env, released + timedelta(minutes=5))
    h = await _start(env, db, run, cid, "repost", released, ["dept_website"], profile="national",
                     secrecy_review=False)
    clock = await _deadline(db, cid)
    assert clock.rule == "repost" and clock.due_at == datetime(2026, 9, 26, 20, 0, tzinfo=CST)
    await act(h, PublicationWorkflow.submit, a["jyj_officer"])
    await _sleep_until(env, datetime(2026, 9, 26, 21, 0, tzinfo=CST))
    view = await act(h, PublicationWorkflow.publish, a["jyj_officer"], "dept_website", "https://jyj.example.gov.cn/4",
                     datetime(2026, 9, 26, 20, 30, tzinfo=CST).isoformat())
    assert view.outcome == "late"  # half an hour after the 24 hours
    assert (await _deadline(db, cid)).state == "late"


async def test_a_one_month_proposal_result_rolls_past_national_day(env, db, run):
    """A proposal answered on 2026-09-01: one month ends on 2026-10-01, inside the National Day holiday,
    so the last day rolls forward to the first working day, 2026-10-08 (临沂 二(七))."""
    cid = "PI-2026-000004"
    h = await _start(env, db, run, cid, "handling_result", datetime(2026, 9, 1, 16, 0, tzinfo=CST),
                     ["gov_website"])
    clock = await _deadline(db, cid)
    assert clock.rule == "handling_result" and clock.due_at == datetime(2026, 10, 9, 0, 0, tzinfo=CST)
    assert any("2026-10-08" in line for line in clock.explanation)
    await h.terminate("test done")


async def test_a_confidentiality_review_returns_the_item_for_changes(env, db, run):
    a = await actors(db)
    cid = "PI-2026-000005"
    h = await _start(env, db, run, cid, "general", START, ["gov_website"], profile="national")
    assert (await _deadline(db, cid)).rule == "proactive_publication"
    await act(h, PublicationWorkflow.submit, a["jyj_officer"])
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await act(h, PublicationWorkflow.review, a["jyj_head"], False, " ")
    assert "意见" in str(refused.value.cause)
    view = await act(h, PublicationWorkflow.review, a["jyj_head"], False, "附件含个人身份证号，请删除后重新提交")
    assert view.stage == rules.Stage.DRAFTING and view.comment.startswith("附件含个人身份证号")
    async with db.session_factory() as s:
        officers = list((await s.execute(select(Notification).where(
            Notification.case_id == cid, Notification.title.like("【保密审查退回】%")))).scalars())
    assert officers and "身份证号" in officers[0].body
    with pytest.raises(WorkflowUpdateFailedError):  # not publishable before it passes
        await act(h, PublicationWorkflow.publish, a["jyj_officer"], "gov_website", "https://www.example.gov.cn/5",
                  (await env.get_current_time()).isoformat())
    await act(h, PublicationWorkflow.submit, a["jyj_officer"])
    view = await act(h, PublicationWorkflow.review, a["jyj_head"], True, "已删除")
    assert view.stage == rules.Stage.PUBLISHING and [r.passed for r in view.reviews] == [False, True]
    view = await act(h, PublicationWorkflow.publish, a["jyj_officer"], "gov_website", "https://www.example.gov.cn/5",
                     (await env.get_current_time()).isoformat())
    assert view.stage == rules.Stage.DONE
    history = await h.fetch_history()
    record(history.to_json(), "publication", "secrecy_returned")
    await replayer(WORKFLOWS).replay_workflow(history)


async def test_a_kind_the_profile_lacks_runs_by_the_general_rule(db):
    """Under the national profile a 双公示 item has no 7 WD rule: it runs by GIR Art. 26's 20 WD."""
    book = await _book(db, "national")
    assert rules.rule_for("licensing_penalty", book).name == "proactive_publication"
    linyi = await _book(db, "linyi")
    assert rules.rule_for("licensing_penalty", linyi).amount == 7
