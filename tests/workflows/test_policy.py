"""Policy documents with their interpretation (三同步), in skipped time, every path."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from contracts.policy import ACTIONS, Draft, PolicyInput
from gongkai.clock import CST, local_date
from gongkai.errors import PermissionDenied
from gongkai.policy import Stage
from models import AuditEvent, Deadline, PolicyCase, PublicationItem
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id
from workflows.policy import PolicyWorkflow
from workflows.publication import PublicationWorkflow

START = datetime(2026, 6, 1, 9, 0, tzinfo=CST)  # a Monday
COMPLETE = Draft("proactive", "full", "", True, True, ["qa", "graphic"], "政府网站、政务微信")


async def _start(env, db, queue, case_id, issuance="department", normative=False, drafter="JYJ",
                 created_by="jyj_officer", reviewing_office: int | None = None):
    inp = PolicyInput(case_id, "关于加快推进老旧小区改造的实施意见", issuance, await department_id(db, drafter),
                      normative=normative, created_by=created_by, reviewing_office=reviewing_office)
    return await env.client.start_workflow(PolicyWorkflow.run, inp, id=case_id, task_queue=queue)


async def _row(db, cid) -> PolicyCase:
    async with db.session_factory() as s:
        return await s.get(PolicyCase, cid)


async def _record(handle, name: str) -> None:
    record((await handle.fetch_history()).to_json(), "policy", name)


async def _today(env) -> str:
    return local_date(await env.get_current_time()).isoformat()


async def test_complete_and_on_time(env, db, run):
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000001", normative=True)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], Draft("proactive", "full", has_document=True))
    with pytest.raises(WorkflowUpdateFailedError) as gate:
        await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    assert "解读方案" in str(gate.value.cause) and "解读材料" in str(gate.value.cause)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    with pytest.raises(WorkflowUpdateFailedError) as wrong_head:
        await act(h, PolicyWorkflow.sign, a["zrzy_head"], view.document_version, True, "")
    assert "起草部门负责人" in str(wrong_head.value.cause)
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    assert view.stage == "secrecy_review" and view.signatures[0].what == "document+interpretation"
    await act(h, PolicyWorkflow.secrecy_review, a["jyj_head"], True, "")
    await act(h, PolicyWorkflow.publish, a["jyj_officer"], await _today(env), "http://www.example.gov.cn/zc/1")
    async with db.session_factory() as s:
        interp = await s.get(Deadline, "PD-2026-000001/interpretation")
        assert await s.get(Deadline, "PD-2026-000001/website") is None  # a publication item's clock instead
    assert interp.state == "running" and interp.amount == 3
    await env.sleep(timedelta(hours=3))
    await act(h, PolicyWorkflow.publish_interpretation, a["jyj_officer"], await _today(env), "http://x/jd/1")
    await act(h, PolicyWorkflow.add_note, a["jyj_officer"], "网民关注改造资金来源，已在问答中补充说明")
    await env.sleep(timedelta(days=91))  # a follow-up reminder while the policy is in force
    await act(h, PolicyWorkflow.close, a["jyj_officer"])
    assert await h.result() == "closed"
    async with db.session_factory() as s:
        assert (await s.get(Deadline, "PD-2026-000001/interpretation")).state == "met"
        actions = [e.action for e in (await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == "PD-2026-000001"))).scalars()]
    for expected in ("policy_opened", "submitted", "signed_off", "secrecy_reviewed", "published",
                     "interpretation_published", "opinion_note", "follow_up_reminder", "closed"):
        assert expected in actions, expected
    await _record(h, "complete")


async def test_returned_by_the_government_office_then_resubmitted(env, db, run):
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000002", issuance="government")
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    view = await act(h, PolicyWorkflow.office_review, a["zfb_head"], False, "解读材料未说明政策出台背景")
    assert view.stage == "drafting" and view.returns == 1
    assert (await _row(db, "PD-2026-000002")).returns == 1
    better = Draft("proactive", "full", "", True, True, ["qa", "graphic", "expert"], "政府网站")
    view = await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], better)
    assert view.document_version == 1  # saving changes the working draft; submitting makes the version
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    assert view.document_version == 2
    with pytest.raises(WorkflowUpdateFailedError) as outdated:
        await act(h, PolicyWorkflow.sign, a["jyj_head"], 1, True, "")
    assert "第1版" in str(outdated.value.cause)
    await act(h, PolicyWorkflow.sign, a["jyj_head"], 2, True, "")
    await act(h, PolicyWorkflow.office_review, a["zfb_head"], True, "")
    with pytest.raises(WorkflowUpdateFailedError):
        await act(h, PolicyWorkflow.leader_sign, a["jyj_head"], 2, True, "")
    view = await act(h, PolicyWorkflow.leader_sign, a["leader"], 2, True, "")
    assert [(s.role, s.version) for s in view.signatures] == [("dept_head", 1), ("dept_head", 2), ("leader", 2)]
    assert view.stage == "secrecy_review"
    await _record(h, "government_returned")


async def test_only_the_government_office_reviews_a_draft_and_never_its_own(env, db, run):
    """政府办审核 is the government office's: neither the drafting department's head nor the
    open-information office's may do it, and the office does not review a draft of its own."""
    a = await actors(db)
    zfb = await department_id(db, "ZFB")
    h = await _start(env, db, run, "PD-2026-000006", issuance="government", reviewing_office=zfb)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    assert view.stage == "office_review"
    for who in ("jyj_head", "gkb_head"):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await act(h, PolicyWorkflow.office_review, a[who], True, "")
        assert "只有政府办负责人可以审核代拟稿" in str(refused.value.cause), who
        assert not ACTIONS.allows("office_review", view, a[who], await env.get_current_time()), who
    assert (await _row(db, "PD-2026-000006")).stage == "office_review"
    view = await act(h, PolicyWorkflow.office_review, a["zfb_head"], True, "")
    assert view.stage == "leader_sign_off"

    # The office's own draft: its head signs it, and it goes to the leader without a review by itself.
    own = await _start(env, db, run, "PD-2026-000007", issuance="government", drafter="ZFB",
                       created_by="zfb_head", reviewing_office=zfb)
    await act(own, PolicyWorkflow.update_draft, a["zfb_head"], COMPLETE)
    view = await act(own, PolicyWorkflow.submit, a["zfb_head"])
    view = await act(own, PolicyWorkflow.sign, a["zfb_head"], view.document_version, True, "")
    assert view.stage == "leader_sign_off"
    with pytest.raises(WorkflowUpdateFailedError):
        await act(own, PolicyWorkflow.office_review, a["zfb_head"], True, "")
    reviewing = replace(view, stage=Stage.OFFICE_REVIEW)  # had it reached the review (a case started before)
    with pytest.raises(PermissionDenied, match="政府办不能审核本部门起草的代拟稿"):
        ACTIONS.check("office_review", reviewing, a["zfb_head"], await env.get_current_time())
    view = await act(own, PolicyWorkflow.leader_sign, a["leader"], view.document_version, True, "")
    assert view.stage == "secrecy_review"
    await _record(own, "own_draft")


async def test_sign_off_returned_then_signed_and_non_public_goes_to_attribute_review(env, db, run):
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000003")
    with_reasons_missing = Draft("on_request", "full", "", True, True, ["qa"])
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], with_reasons_missing)
    with pytest.raises(WorkflowUpdateFailedError) as gate:
        await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    assert "理由" in str(gate.value.cause)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"],
              Draft("on_request", "full", "涉及个人信息，依申请公开", True, True, ["qa"]))
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    assert view.stage == "attribute_review"
    await act(h, PolicyWorkflow.review_attribute, a["gkb_head"], True, "同意依申请公开")
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, False, "问答部分需补充适用范围")
    assert view.stage == "drafting" and view.comment == "问答部分需补充适用范围"
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"],
              Draft("on_request", "full", "涉及个人信息，依申请公开", True, True, ["qa", "graphic"]))
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.review_attribute, a["gkb_head"], True, "")
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    assert view.stage == "secrecy_review" and view.signatures[-1].version == 2
    await _record(h, "attribute_review")


async def test_interpretation_published_late_is_escalated(env, db, run):
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000004")
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    await act(h, PolicyWorkflow.secrecy_review, a["jyj_head"], True, "")
    await act(h, PolicyWorkflow.publish, a["jyj_officer"], await _today(env), "http://x/zc/4")
    await env.sleep(timedelta(days=10))
    async with db.session_factory() as s:
        d = await s.get(Deadline, "PD-2026-000004/interpretation")
    assert d.level == 2  # supervisor at the due instant, leader two working days later
    await act(h, PolicyWorkflow.publish_interpretation, a["jyj_officer"], await _today(env), "http://x/jd/4")
    async with db.session_factory() as s:
        assert (await s.get(Deadline, "PD-2026-000004/interpretation")).state == "late"
    await _record(h, "late_interpretation")


async def test_the_clocks_count_from_the_publication_date_entered(env, db, run):
    """"文件公开后3个工作日内" counts from the day the document was published, not from the day someone
    records it; an interpretation recorded late is judged by the day it was published."""
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000005", normative=True)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")  # Monday 1 June
    await act(h, PolicyWorkflow.secrecy_review, a["jyj_head"], True, "")
    await env.sleep(timedelta(days=4))  # recorded on Friday 5 June ...
    for day, message in [("2026-06-31", "发布日期格式应为"), ("2026-06-08", "发布日期不能晚于今天"),
                         ("2026-05-29", "发布日期不能早于审签日期（2026-06-01）")]:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await act(h, PolicyWorkflow.publish, a["jyj_officer"], day, "http://x/zc/5")
        assert message in str(refused.value.cause), day
    view = await act(h, PolicyWorkflow.publish, a["jyj_officer"], "2026-06-02", "http://x/zc/5")  # ... on Tuesday
    async with db.session_factory() as s:
        interp = await s.get(Deadline, "PD-2026-000005/interpretation")
    for item_id in view.items:  # the website and gazette items count from that day too
        assert (await _item(env, db, item_id))[1].start_at == datetime(2026, 6, 2, tzinfo=CST)
    assert interp.start_at == datetime(2026, 6, 2, tzinfo=CST)
    assert interp.last_day.isoformat() == "2026-06-05"  # 3 working days after Tuesday: Wed, Thu, Fri
    await env.sleep(timedelta(days=3))  # Monday 8 June: the clock ran out on Friday and escalated
    with pytest.raises(WorkflowUpdateFailedError) as early:
        await act(h, PolicyWorkflow.publish_interpretation, a["jyj_officer"], "2026-06-01", "http://x/jd/5")
    assert "不能早于文件发布日期（2026-06-02）" in str(early.value.cause)
    view = await act(h, PolicyWorkflow.publish_interpretation, a["jyj_officer"], "2026-06-04", "http://x/jd/5")
    assert view.stage == "in_force" and view.published.interpretation_on == "2026-06-04"
    async with db.session_factory() as s:
        interp = await s.get(Deadline, "PD-2026-000005/interpretation")
        summary = (await s.execute(select(AuditEvent.summary).where(
            AuditEvent.case_id == "PD-2026-000005", AuditEvent.action == "interpretation_published"))).scalar_one()
    assert interp.state == "met" and interp.level >= 1  # escalated while unrecorded, yet published on time
    assert summary == "解读材料已发布（2026-06-04）"
    await _record(h, "publication_date")


async def _item(env, db, item_id: str) -> tuple[PublicationItem, Deadline]:
    async with db.session_factory() as s:
        for _ in range(200):
            row, clock = await s.get(PublicationItem, item_id), await s.get(Deadline, f"{item_id}/publication")
            if row is not None and clock is not None:
                return row, clock
            await env.sleep(timedelta(seconds=1))
    raise AssertionError(f"{item_id} never projected")


async def test_a_normative_documents_website_and_gazette_are_publication_items(env, db, run):
    """Published, a normative document opens two publication items (patch policy-publication-items):
    the government website on its 15-working-day clock and the gazette on the general 20, each
    tracked, escalated and judged like any other item, and outliving the case; the policy case keeps
    no website clock of its own and offers no 登记网站发布."""
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000009", normative=True)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    await act(h, PolicyWorkflow.secrecy_review, a["jyj_head"], True, "")
    published = local_date(await env.get_current_time())
    view = await act(h, PolicyWorkflow.publish, a["jyj_officer"], published.isoformat(),
                     "http://www.example.gov.cn/zc/9")
    assert len(view.items) == 2 and not view.website_open
    assert "record_website" not in ACTIONS.available(view, a["jyj_officer"], await env.get_current_time())
    website, gazette = [await _item(env, db, i) for i in view.items]
    assert (website[0].kind, website[0].channels, website[0].source, website[0].external_key) == (
        "normative", ["gov_website"], "policy", "PD-2026-000009")
    assert (gazette[0].kind, gazette[0].channels, gazette[0].stage) == ("gazette", ["gazette"], "drafting")
    assert (website[1].rule, website[1].amount, gazette[1].rule, gazette[1].amount) == (
        "normative_publication", 15, "proactive_publication", 20)
    assert website[0].triggered_at == datetime.combine(published, datetime.min.time(), CST)
    # The case closes; its items go on.
    await act(h, PolicyWorkflow.publish_interpretation, a["jyj_officer"], published.isoformat(), "http://x/jd/9")
    await act(h, PolicyWorkflow.close, a["jyj_officer"])
    assert await h.result() == "closed"
    await env.sleep(timedelta(days=30))  # past 15 working days: the website item escalated, still open
    row, clock = await _item(env, db, view.items[0])
    assert clock.state == "running" and clock.level >= 1 and row.stage == "drafting"
    item = env.client.get_workflow_handle(view.items[0])
    await act(item, PublicationWorkflow.submit, a["jyj_officer"])  # no confidentiality review again
    went_up = datetime.combine(published + timedelta(days=2), datetime.min.time(), CST) + timedelta(hours=10)
    done = await act(item, PublicationWorkflow.publish, a["jyj_officer"], "gov_website",
                     "http://www.example.gov.cn/gfxwj/9", went_up.isoformat())
    assert done.stage == "done" and done.outcome == "met"  # escalated while unrecorded, yet up in time
    _row_, gazette_clock = await _item(env, db, view.items[1])
    assert gazette_clock.state == "running" and gazette_clock.level >= 1
    await _record(h, "publication_items")


async def test_saving_keeps_the_version_and_submitting_makes_one(env, db, run):
    """Saving updates the working draft; each submission with changed files is a new version, and a
    resubmission of the same files is the same version (patch policy-version-at-submit)."""
    a = await actors(db)
    h = await _start(env, db, run, "PD-2026-000011")
    view = await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], replace(COMPLETE, document_text="初稿"))
    view = await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], replace(COMPLETE, document_text="初稿（改）"))
    assert view.document_version == 0 and view.draft.document_text == "初稿（改）"
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    assert view.document_version == 1 and view.stage == "sign_off"
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], 1, False, "请补充背景")
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])  # the same files again
    assert view.document_version == 1
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], 1, False, "仍需补充")
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], replace(COMPLETE, document_text="第二稿"))
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    assert view.document_version == 2
    view = await act(h, PolicyWorkflow.sign, a["jyj_head"], 2, True, "")
    assert view.stage == "secrecy_review" and view.signatures[-1].version == 2
    async with db.session_factory() as s:
        summaries = [e.summary for e in (await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == "PD-2026-000011", AuditEvent.action == "draft_updated"))).scalars()]
    assert summaries == ["保存工作稿"] * 3
    await _record(h, "version_at_submit")
