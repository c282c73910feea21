"""Major incidents and public-opinion cases, in skipped time: every path, and what each
notification says and to whom it goes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from contracts.incident import IncidentInput, PressConference, Release, Screenshot
from gongkai.clock import CST
from models import AuditEvent, Deadline, IncidentCase, Letter, Notification, Task, User
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id
from workflows.incident import IncidentWorkflow

START = datetime(2026, 7, 3, 8, 0, tzinfo=CST)  # a Friday morning; hour clocks ignore the weekend


async def _start(env, db, queue, case_id, *, grade="major", ago=timedelta(minutes=30), found=timedelta(0),
                 follow_up_hours=24, anchors=None, co=("ZRZY",)):
    now = await env.get_current_time()
    inp = IncidentInput(case_id, "某化工厂仓库火灾", "仓库起火，现场浓烟，周边居民关注空气质量", "某工业园区",
                        grade, "online", now - ago, now - found, await department_id(db, "WJW"),
                        [await department_id(db, c) for c in co], "wjw_officer", follow_up_hours,
                        anchors or {})
    handle = await env.client.start_workflow(IncidentWorkflow.run, inp, id=case_id, task_queue=queue)
    async with db.session_factory() as s:  # wait for the registration to be visible
        for _ in range(200):
            if await s.get(IncidentCase, case_id):
                break
            await env.sleep(timedelta(seconds=1))
    return handle


async def _record(handle, name: str) -> None:
    record((await handle.fetch_history()).to_json(), "incident", name)


async def _release(env, text="已发布火情通报：明火已扑灭，无人员伤亡", ago=timedelta(0)) -> Release:
    return Release(text, "weibo", await env.get_current_time() - ago, "王副主任")


async def _notes(db, case_id) -> dict[str, list[Notification]]:
    """Notifications of a case by recipient username."""
    async with db.session_factory() as s:
        names = {u.id: u.username for u in (await s.execute(select(User))).scalars()}
        rows = (await s.execute(select(Notification).where(Notification.case_id == case_id)
                                .order_by(Notification.id))).scalars()
        out: dict[str, list[Notification]] = {}
        for n in rows:
            out.setdefault(names[n.user_id], []).append(n)
        return out


async def _deadline(db, did) -> Deadline:
    async with db.session_factory() as s:
        return await s.get(Deadline, did)


async def _row(db, cid) -> IncidentCase:
    async with db.session_factory() as s:
        return await s.get(IncidentCase, cid)


async def _audit(db, cid) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.case_id == cid)
                                     .order_by(AuditEvent.at, AuditEvent.id))).scalars())


async def test_major_incident_on_time_to_closure(env, db, run):
    a = await actors(db)
    cid = "IN-2026-000001"
    h = await _start(env, db, run, cid)
    release, press = await _deadline(db, f"{cid}/release"), await _deadline(db, f"{cid}/press")
    row = await _row(db, cid)
    # wall-clock hours from the event, not from registration
    assert release.due_at == row.occurred_at + timedelta(hours=5)
    assert press.due_at == row.occurred_at + timedelta(hours=24)
    assert not row.late_at_registration and row.stage == "responding"

    notes = await _notes(db, cid)
    for who in ("wjw_officer", "gkb_head", "duban", "zhuyao", "zrzy_head"):
        assert who in notes, f"{who} was not told of the registration"
    assert notes["wjw_officer"][0].title == "【新登记】突发事件 某化工厂仓库火灾"
    assert "重大" in notes["wjw_officer"][0].body and "重大突发事件权威信息发布截止" in notes["wjw_officer"][0].body
    assert notes["zrzy_head"][0].title.startswith("【配合回应】") and "共同责任单位" in notes["zrzy_head"][0].body
    assert "jyj_officer" not in notes and "leader" not in notes  # the principal head is configured

    async with db.session_factory() as s:
        tasks = list((await s.execute(select(Task).where(Task.case_id == cid, Task.status == "open"))).scalars())
    kinds = {t.kind: t for t in tasks}
    assert kinds["stage:incident_release"].due_at == release.due_at
    assert kinds["stage:incident_press"].due_at == press.due_at
    assert kinds["stage:incident_assist:" + str(await department_id(db, "ZRZY"))].department_id == \
        await department_id(db, "ZRZY")

    await env.sleep(timedelta(hours=2, minutes=40))  # 3 h 10 after the event: the "-2h" reminder has gone out
    notes = await _notes(db, cid)
    reminder = [n for n in notes["wjw_officer"] if n.title.startswith("【即将到期】")]
    assert len(reminder) == 1 and reminder[0].title == "【即将到期】突发事件 某化工厂仓库火灾：重大突发事件权威信息发布"
    assert "距截止还有2小时00分" in reminder[0].body and "提醒对象：责任部门" in reminder[0].body
    assert not any(n.title.startswith("【即将到期】") for n in notes.get("duban", []))

    with pytest.raises(WorkflowUpdateFailedError) as other:
        await act(h, IncidentWorkflow.release, a["jyj_officer"], await _release(env))
    assert "责任部门" in str(other.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as early:
        await act(h, IncidentWorkflow.release, a["wjw_officer"], await _release(env, ago=timedelta(hours=8)))
    assert "不能早于事件发生时间" in str(early.value.cause)
    view = await act(h, IncidentWorkflow.release, a["wjw_officer"], await _release(env))
    assert view.stage == "press" and len(view.releases) == 1
    assert (await _deadline(db, f"{cid}/release")).state == "met"

    await env.sleep(timedelta(hours=6))
    view = await act(h, IncidentWorkflow.press_conference, a["wjw_officer"],
                     PressConference(await env.get_current_time(), "区政府新闻发布厅", "李发言人", True))
    assert view.stage == "follow_up" and view.press is not None
    assert (await _deadline(db, f"{cid}/press")).state == "met"
    await act(h, IncidentWorkflow.release, a["zrzy_officer"], await _release(env, "环境监测数据正常"))  # co-dept
    with pytest.raises(WorkflowUpdateFailedError) as untriaged:
        await act(h, IncidentWorkflow.end_response, a["wjw_officer"])
    assert "研判分类" in str(untriaged.value.cause)
    await act(h, IncidentWorkflow.classify, a["wjw_officer"], "misunderstanding", "居民担心空气污染")
    await act(h, IncidentWorkflow.end_response, a["wjw_officer"])
    with pytest.raises(WorkflowUpdateFailedError) as officer_eval:
        await act(h, IncidentWorkflow.evaluate, a["wjw_officer"], "good", "回应及时")
    assert "公开办负责人" in str(officer_eval.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as unevaluated:
        await act(h, IncidentWorkflow.close, a["gkb_head"])
    assert "效果评估" in str(unevaluated.value.cause)
    await act(h, IncidentWorkflow.evaluate, a["gkb_head"], "good", "5小时内发布，24小时内召开发布会，舆情平稳")
    view = await act(h, IncidentWorkflow.close, a["gkb_head"])
    assert view.stage == "closed"
    assert await h.result() == "closed"

    row = await _row(db, cid)
    assert row.stage == "closed" and row.releases == 2 and row.triage == "misunderstanding" and row.closed_at
    actions = [e.action for e in await _audit(db, cid)]
    for action in ("incident_opened", "authoritative_release", "press_conference", "follow_up_release", "triaged",
                   "response_ended", "evaluated", "closed", "deadline_met"):
        assert action in actions, action
    assert "deadline_escalated" not in actions
    async with db.session_factory() as s:
        assert not (await s.execute(select(Task).where(Task.case_id == cid, Task.status == "open"))).first()
    await _record(h, "on_time")


async def test_late_registration_is_overdue_at_once(env, db, run):
    cid = "IN-2026-000002"
    h = await _start(env, db, run, cid, ago=timedelta(hours=6, minutes=20))
    row = await _row(db, cid)
    assert row.late_at_registration
    opened = [e for e in await _audit(db, cid) if e.action == "incident_opened"][0]
    assert "登记时已超过重大突发事件权威信息发布时限" in opened.summary and "已超期 1小时20分" in opened.summary
    notes = await _notes(db, cid)
    assert notes["wjw_officer"][0].title == "【已超期】突发事件 某化工厂仓库火灾"
    assert "登记时已超期，请立即处置" in notes["wjw_officer"][0].body
    # the supervisor (at the due instant) and the principal head (1 h after) are told at once;
    # the reminders the late registration overtook are not sent
    sup = [n for n in notes["duban"] if n.level == 1 and "权威信息发布" in n.title]
    principal = [n for n in notes["zhuyao"] if n.level == 2]
    assert len(sup) == 1 and sup[0].title == "【已到期】突发事件 某化工厂仓库火灾：重大突发事件权威信息发布"
    assert len(principal) == 1 and principal[0].title.startswith("【已超期】")
    # said as of when it was sent (1 h 20 over at registration), not when the rung was planned (+1 h)
    assert "已超期1小时20分" in principal[0].body and "已超期1小时00分" not in principal[0].body
    assert "截止 " in principal[0].body
    assert "提醒对象：主要负责人" in principal[0].body
    assert not [n for n in notes["wjw_officer"] if n.title.startswith("【即将到期】")]
    release = await _deadline(db, f"{cid}/release")
    assert release.level == 2 and release.state == "running"
    async with db.session_factory() as s:
        esc = list((await s.execute(select(Task).where(Task.case_id == cid, Task.kind.like("escalation:%"))))
                   .scalars())
    assert {t.role for t in esc} == {"supervisor", "principal_head"}
    await _record(h, "late_registration")


async def test_overdue_press_conference_escalates_to_principal_head(env, db, run):
    a = await actors(db)
    cid = "IN-2026-000003"
    h = await _start(env, db, run, cid, grade="especially_major", ago=timedelta(hours=1), co=())
    await env.sleep(timedelta(hours=1))
    view = await act(h, IncidentWorkflow.release, a["wjw_officer"], await _release(env))
    assert view.stage == "press"
    await env.sleep(timedelta(hours=22, minutes=30))  # 24 h 30 after the event: due passed, supervisor told
    notes = await _notes(db, cid)
    assert [n for n in notes["duban"] if n.level == 1 and n.title == "【已到期】突发事件 某化工厂仓库火灾：新闻发布会"]
    assert not [n for n in notes["zhuyao"] if n.level == 2]
    await env.sleep(timedelta(hours=2))  # 26 h 30: two hours overdue, the principal head is told
    notes = await _notes(db, cid)
    principal = [n for n in notes["zhuyao"] if n.level == 2]
    assert len(principal) == 1
    assert principal[0].title == "【已超期】突发事件 某化工厂仓库火灾：新闻发布会"
    assert "已超期2小时00分" in principal[0].body and cid in principal[0].body
    assert "leader" not in notes
    async with db.session_factory() as s:
        task = (await s.execute(select(Task).where(Task.case_id == cid, Task.kind == "escalation:principal_head")))\
            .scalar_one()
    assert task.role == "principal_head" and task.status == "open" and task.title.startswith("督办：【已超期】")
    view = await act(h, IncidentWorkflow.press_conference, a["wjw_officer"],
                     PressConference(await env.get_current_time(), "区政府新闻发布厅", "李发言人", False))
    press = await _deadline(db, f"{cid}/press")
    assert press.state == "late" and press.level == 2
    async with db.session_factory() as s:
        assert (await s.get(Task, task.id)).status == "done"
    summary = [e.summary for e in await _audit(db, cid) if e.action == "press_conference"][0]
    assert "超过时限" in summary and "部门主要负责人未出席" in summary
    await _record(h, "press_overdue")


async def test_opinion_case_follow_ups_triage_and_referral(env, db, run):
    a = await actors(db)
    cid = "IN-2026-000004"
    h = await _start(env, db, run, cid, grade="opinion", ago=timedelta(hours=10), found=timedelta(hours=2),
                     follow_up_hours=6, anchors={"opinion_response": "detection"}, co=())
    row = await _row(db, cid)
    response = await _deadline(db, f"{cid}/response")
    assert response.amount == 48 and response.due_at == row.detected_at + timedelta(hours=48)  # from detection
    assert await _deadline(db, f"{cid}/release") is None and await _deadline(db, f"{cid}/press") is None
    notes = await _notes(db, cid)
    assert "zhuyao" not in notes  # not a major emergency
    await env.sleep(timedelta(hours=36))  # 38 h after detection: the "-12h" reminder went out, not yet "-3h"
    reminders = [n for n in (await _notes(db, cid))["wjw_officer"] if n.title.startswith("【即将到期】")]
    assert len(reminders) == 1 and "距截止还有12小时00分" in reminders[0].body
    await act(h, IncidentWorkflow.release, a["wjw_officer"], await _release(env, "关于网传某小区停水的情况说明"))
    assert (await _deadline(db, f"{cid}/response")).state == "met"
    await env.sleep(timedelta(hours=13))  # 6-hourly reminders while no new release: two
    follow = [n for n in (await _notes(db, cid))["wjw_officer"] if n.title.startswith("【持续发布提醒】")]
    assert len(follow) == 2 and "已超过6小时" in follow[0].body
    await act(h, IncidentWorkflow.release, a["wjw_officer"], await _release(env, "供水已恢复"))
    await env.sleep(timedelta(hours=5))
    follow = [n for n in (await _notes(db, cid))["wjw_officer"] if n.title.startswith("【持续发布提醒】")]
    assert len(follow) == 2  # the new release restarted the interval

    with pytest.raises(WorkflowUpdateFailedError) as not_false:
        await act(h, IncidentWorkflow.refer, a["wjw_officer"], "police", "移交")
    assert "虚假信息" in str(not_false.value.cause)
    await act(h, IncidentWorkflow.classify, a["wjw_officer"], "false_info", "网传“水源污染”系谣言")
    with pytest.raises(WorkflowUpdateFailedError) as unreferred:
        await act(h, IncidentWorkflow.end_response, a["wjw_officer"])
    assert "移交" in str(unreferred.value.cause)
    await act(h, IncidentWorkflow.refer, a["wjw_officer"], "cyberspace", "已将谣言帖文及截图移交区委网信办")
    await act(h, IncidentWorkflow.end_response, a["wjw_officer"])
    await act(h, IncidentWorkflow.evaluate, a["duban"], "fair", "回应及时，谣言已删除")
    await act(h, IncidentWorkflow.close, a["duban"])
    assert await h.result() == "closed"
    actions = [e.action for e in await _audit(db, cid)]
    assert actions.count("follow_up_reminder") == 2 and "referred" in actions
    referral = [e.summary for e in await _audit(db, cid) if e.action == "referred"][0]
    assert referral == "虚假信息已移交网信部门：已将谣言帖文及截图移交区委网信办"
    await _record(h, "opinion")


async def test_lead_department_reassigned_mid_response(env, db, run):
    a = await actors(db)
    cid = "IN-2026-000005"
    h = await _start(env, db, run, cid)  # led by WJW with ZRZY co-responsible, 30 min after the event
    wjw, zrzy = await department_id(db, "WJW"), await department_id(db, "ZRZY")
    before = await _deadline(db, f"{cid}/release")
    for actor, dept, reason, message in [
        (a["wjw_officer"], zrzy, "职责调整", "只有公开办负责人、督办人员或领导可以改派牵头部门"),
        (a["gkb_head"], wjw, "职责调整", "所选部门已是牵头部门"),
        (a["gkb_head"], zrzy, "  ", "请说明改派理由"),
    ]:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await act(h, IncidentWorkflow.reassign, actor, dept, reason)
        assert refused.value.cause.message == message
    view = await act(h, IncidentWorkflow.reassign, a["gkb_head"], zrzy, "火灾涉及山林，改由自然资源局牵头")
    assert view.stage == "responding"

    row, release = await _row(db, cid), await _deadline(db, f"{cid}/release")
    assert (row.department_id, row.co_departments) == (zrzy, [])  # the new lead is no longer a co-department
    assert (release.department_id, release.due_at, release.state) == (zrzy, before.due_at, "running")
    async with db.session_factory() as s:
        tasks = {t.kind: t for t in (await s.execute(select(Task).where(Task.case_id == cid))).scalars()}
    assert (tasks["stage:incident_release"].department_id, tasks["stage:incident_release"].status) == (zrzy, "open")
    assert tasks["stage:incident_assist:" + str(zrzy)].status == "done"
    entry = [e for e in await _audit(db, cid) if e.action == "lead_reassigned"]
    assert [(e.actor, e.summary) for e in entry] == [("gkb_head", "改派牵头部门：火灾涉及山林，改由自然资源局牵头")]

    notes = await _notes(db, cid)
    told = {who: [n for n in notes.get(who, []) if n.title == "【改派牵头】突发事件 某化工厂仓库火灾"]
            for who in ("zrzy_officer", "zrzy_head", "wjw_officer")}
    assert told["zrzy_officer"][0].body.startswith("本案改由贵单位牵头回应。改派理由：火灾涉及山林")
    assert "重大突发事件权威信息发布截止" in told["zrzy_officer"][0].body and told["zrzy_head"]
    assert told["wjw_officer"][0].body.startswith("本案已改由其他部门牵头。")

    # The old lead can no longer record releases; the department's reminder (3 h after the event) goes to the new one.
    with pytest.raises(WorkflowUpdateFailedError):
        await act(h, IncidentWorkflow.release, a["wjw_officer"], await _release(env))
    await env.sleep(timedelta(hours=2, minutes=40))
    notes = await _notes(db, cid)
    soon = "【即将到期】突发事件 某化工厂仓库火灾：重大突发事件权威信息发布"
    assert [n.title for n in notes["zrzy_officer"]].count(soon) == 1
    assert soon not in [n.title for n in notes["wjw_officer"]]
    view = await act(h, IncidentWorkflow.release, a["zrzy_officer"], await _release(env))
    assert view.stage == "press" and (await _deadline(db, f"{cid}/release")).state == "met"


async def test_supervision_notice_and_its_feedback_clock(env, db, run):
    """A 督办 on an incident: only supervisors issue it; it issues a numbered 督办通知单 (not shown to
    the public) and starts its own feedback clock (rules.toml, a local rule) with a task and notices
    for the lead department; the department's feedback stops that clock. A second 督办 left
    unanswered escalates at its due instant."""
    a = await actors(db)
    cid = "IN-2026-000006"
    h = await _start(env, db, run, cid, grade="general", co=())
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await act(h, IncidentWorkflow.supervise, a["wjw_officer"], "请立即回应", "")
    assert "只有督办人员" in refused.value.cause.message
    with pytest.raises(WorkflowUpdateFailedError) as empty:
        await act(h, IncidentWorkflow.supervise, a["duban"], "  ", "")
    assert empty.value.cause.message == "请填写督办事项"
    with pytest.raises(WorkflowUpdateFailedError) as nothing:
        await act(h, IncidentWorkflow.supervision_feedback, a["wjw_officer"], 1, "已处理")
    assert nothing.value.cause.message == "没有待反馈的督办"

    now = await env.get_current_time()
    view = await act(h, IncidentWorkflow.supervise, a["duban"], "网上关注度持续上升，尚未回应", "")
    first = view.supervisions[0]
    assert (first.number, first.department_id, first.by) == (1, await department_id(db, "WJW"), "duban")
    assert first.due_at == first.at + timedelta(hours=4) and first.at >= now and first.open
    clock = await _deadline(db, f"{cid}/supervision/1")
    assert (clock.rule, clock.label, clock.state, clock.due_at) == ("incident_supervision", "督办反馈期限", "running",
                                                                    first.due_at)
    async with db.session_factory() as s:
        letter = (await s.execute(select(Letter).where(Letter.case_id == cid))).scalar_one()
        task = (await s.execute(select(Task).where(Task.case_id == cid, Task.kind == "stage:incident_supervision:1"))
                ).scalar_one()
    assert (letter.kind, letter.title, letter.public) == ("supervision", "督办通知单（第1号）", False)
    assert letter.doc_no.endswith("〔2026〕1号") and "督〔" in letter.doc_no
    for text in ("督办事项：", "网上关注度持续上升，尚未回应", "办理要求：", "反馈时限：", "督办人：", "赵敏",
                 "区卫生健康委"):
        assert text in letter.body, text
    assert (task.status, task.due_at, task.department_id) == ("open", first.due_at, first.department_id)
    notes = await _notes(db, cid)
    [told] = [n for n in notes["wjw_officer"] if n.title == "【督办】突发事件 某化工厂仓库火灾"]
    assert "网上关注度持续上升" in told.body and "。，" not in told.body  # the default 要求 ends in 。

    with pytest.raises(WorkflowUpdateFailedError) as other:
        await act(h, IncidentWorkflow.supervision_feedback, a["jyj_officer"], 1, "已处理")
    assert "责任部门" in other.value.cause.message
    await env.sleep(timedelta(hours=1))
    view = await act(h, IncidentWorkflow.supervision_feedback, a["wjw_officer"], 1, "已于政务微博发布情况通报")
    assert (view.supervisions[0].outcome, view.supervisions[0].feedback) == ("met", "已于政务微博发布情况通报")
    assert (await _deadline(db, f"{cid}/supervision/1")).state == "met"
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await act(h, IncidentWorkflow.supervision_feedback, a["wjw_officer"], 1, "再次反馈")
    assert again.value.cause.message == "没有待反馈的督办"

    await act(h, IncidentWorkflow.supervise, a["gkb_head"], "发布内容未回应群众关切", "补充发布处置进展")
    await env.sleep(timedelta(hours=4, minutes=5))  # past the second feedback deadline: to supervision
    second = await _deadline(db, f"{cid}/supervision/2")
    assert (second.state, second.level) == ("running", 1)
    view = await act(h, IncidentWorkflow.supervision_feedback, a["wjw_officer"], 2, "已补充发布")
    assert view.supervisions[1].outcome == "late"
    assert (await _deadline(db, f"{cid}/supervision/2")).state == "late"
    entries = [e.summary for e in await _audit(db, cid) if e.action in {"supervised", "supervision_answered"}]
    assert entries[0].startswith("发出督办通知单（第1号）：网上关注度持续上升，尚未回应，请于 ")
    assert entries[1] == "反馈第1号督办落实情况，在反馈时限内：已于政务微博发布情况通报"
    assert entries[3] == "反馈第2号督办落实情况，超过反馈时限：已补充发布"
    await _record(h, "supervision")


async def test_a_release_on_several_channels_with_link_and_screenshot(env, db, run):
    """Several channels at once; an online one needs its link, which must be a web address."""
    a = await actors(db)
    cid = "IN-2026-000007"
    h = await _start(env, db, run, cid, grade="general", co=())
    now = await env.get_current_time()
    for release, message in [
        (Release("通报", "website", now, "王副主任", ["website", "weibo"]),
         "在政府网站、政务微博或政务微信发布的，请填写发布链接"),
        (Release("通报", "website", now, "王副主任", ["website"], "not a url"),
         "发布链接应为完整的网址，以 http:// 或 https:// 开头，例如 https://www.gov.cn/zhengce/"),
        (Release("通报", "tv", now, "王副主任", ["tv"]), "请选择发布渠道（可多选）"),
        (Release("通报", "website", now, "王副主任", ["website"], "https://www.example.gov.cn/a",
                 Screenshot("a.gif", "image/gif", 10, "0" * 64)), "发布截图应为 PNG 或 JPG 图片"),
    ]:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await act(h, IncidentWorkflow.release, a["wjw_officer"], release)
        assert refused.value.cause.message == message
    shot = Screenshot("weibo.png", "image/png", 2048, "a" * 64)
    view = await act(h, IncidentWorkflow.release, a["wjw_officer"],
                     Release("情况通报", "website", now, "王副主任", ["website", "weibo", "briefing"],
                             "https://www.example.gov.cn/xxgk/1.html", shot))
    r = view.releases[0]
    assert (r.channel, r.channels, r.link, r.screenshot) == (
        "website", ["website", "weibo", "briefing"], "https://www.example.gov.cn/xxgk/1.html", shot)
    summary = [e.summary for e in await _audit(db, cid) if e.action == "authoritative_release"][0]
    assert summary.startswith("首次发布权威信息（政府网站、政务微博、新闻发布会，")
    await _record(h, "several_channels")
