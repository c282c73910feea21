"""Incident pages over HTTP, against real workflows: registration and its errors, who sees what,
the board's countdowns and its self-refreshing fragment, the inbox's hour countdown."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import func, select
from temporalio.service import RPCError, RPCStatusCode

from gongkai.clock import CST
from models import AuditEvent, Deadline, Department, IncidentCase, IntakeKey, Letter, Notification, Task
from tests.web.conftest import csrf, login, post_form


def _local(at: datetime) -> str:
    return at.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


async def _dept(db, code: str) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(Department.id).where(Department.code == code))).scalar_one()


async def _register(client, db, **overrides):
    now = datetime.now(CST)
    form = {"title": "某小区燃气爆炸", "occurred_at": _local(now - timedelta(hours=1)), "location": "某街道某小区",
            "grade": "major", "source": "media", "department_id": str(await _dept(db, "WJW")),
            "co_departments": [str(await _dept(db, "ZRZY"))], "follow_up_hours": "12", "form_key": uuid.uuid4().hex,
            "description": "<script>alert(1)</script>现场已封控"}
    form.update(overrides)
    return await post_form(client, "/incidents/new", form, token_from="/incidents/new")


async def test_registration_errors_keep_what_was_typed(live, db):
    await login(live, "wjw_officer")
    future = _local(datetime.now(CST) + timedelta(hours=2))
    r = await _register(live, db, occurred_at=future, location="", title="某小区燃气爆炸")
    assert r.status_code == 400
    assert "发生时间不能晚于当前时间" in r.text and "请填写发生地点" in r.text
    assert 'value="某小区燃气爆炸"' in r.text  # nothing typed is lost
    r = await _register(live, db, occurred_at="昨天下午")
    assert r.status_code == 400 and "发生时间格式无效" in r.text
    r = await _register(live, db, grade="catastrophic")
    assert r.status_code == 400 and "请选择事件等级" in r.text
    async with db.session_factory() as s:
        assert not (await s.execute(select(IncidentCase))).first()


async def test_an_officer_registering_for_another_department_is_refused_before_anything_is_created(live, db):
    """Refused before a case number is taken, a workflow started or anyone told, on the form and in
    the JSON API; the form comes back with what was typed and offers only the officer's department."""
    await login(live, "wjw_officer")
    jyj = str(await _dept(db, "JYJ"))
    form = (await live.get("/incidents/new")).text
    assert f'<option value="{jyj}"' not in form.split('id="department_id"')[1].split("</select>")[0]
    r = await _register(live, db, department_id=jyj, title="某校食堂食物中毒")
    assert r.status_code == 403
    assert re.search(r'data-error-for="department_id">只能登记由本部门牵头的事件', r.text)
    assert 'value="某校食堂食物中毒"' in r.text
    api = await live.post("/api/incidents", headers={"x-csrftoken": await csrf(live, "/")}, json={
        "title": "某校食堂食物中毒", "occurred_at": (datetime.now(CST) - timedelta(hours=1)).isoformat(),
        "location": "某校", "grade": "major", "source": "media", "department_id": int(jyj)})
    assert api.status_code == 403 and api.json()["detail"]["field"] == "department_id"
    async with db.session_factory() as s:
        for model in (IncidentCase, IntakeKey, Task, Notification):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 0, model
        assert not (await s.execute(select(AuditEvent).where(AuditEvent.case_id.like("IN-%")))).first()
    temporal = live._transport.app.state.temporal
    with pytest.raises(RPCError) as missing:  # the number the case would have had: no workflow
        await temporal.get_workflow_handle(f"IN-{datetime.now(CST).year}-000001").describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_register_view_board_and_inbox(live, db):
    await login(live, "wjw_officer")
    r = await _register(live, db)
    assert r.status_code in (302, 303), r.text[:300]
    cid = r.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"IN-\d{4}-\d{6}", cid)
    page = (await live.get(f"/incidents/{cid}")).text
    assert "重大突发事件权威信息发布" in page and "新闻发布会" in page
    assert re.search(r"剩余 3小时5\d分", page), "the 5-hour clock counts from the event, an hour ago"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;现场已封控" in page and "<script>alert(1)" not in page
    inbox = (await live.get("/inbox")).text
    assert f'href="/incidents/{cid}"' in inbox and re.search(r"剩余 3小时5\d分", inbox)
    board = await live.get("/incidents/board")  # the responsible department sees its own case on the board
    assert board.status_code == 200 and f'data-incident="{cid}"' in board.text

    # a co-responsible department sees the case; another department does not
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zrzy_officer")
    assert (await live.get(f"/incidents/{cid}")).status_code == 200
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    assert (await live.get(f"/incidents/{cid}")).status_code == 403
    board = await live.get("/incidents/board")  # not another department's
    assert board.status_code == 200 and f'data-incident="{cid}"' not in board.text
    r = await post_form(live, f"/incidents/{cid}/release", {"text": "x", "channel": "weibo", "approved_by": "y"},
                        token_from="/incidents")
    assert r.status_code == 403

    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")
    board = await live.get("/incidents/board")
    assert board.status_code == 200 and f'data-incident="{cid}"' in board.text
    assert 'hx-trigger="every 15s"' in board.text
    fragment = await live.get("/incidents/board", headers={"hx-request": "true"})
    assert fragment.text.lstrip().startswith('<div id="incident-board"') and "<html" not in fragment.text
    assert re.search(r"剩余 2[23]小时\d\d分", fragment.text), "the 24-hour press-conference clock"

    # the office may act for the department; a rejected step explains itself and changes nothing
    r = await post_form(live, f"/incidents/{cid}/end_response", {}, token_from=f"/incidents/{cid}")
    assert r.status_code == 409 and "首次发布及新闻发布会完成后才能结束回应" in r.text
    r = await post_form(live, f"/incidents/{cid}/release", {"text": "", "channel": "weibo", "approved_by": ""},
                        token_from=f"/incidents/{cid}")
    assert r.status_code == 400 and "请填写发布内容" in r.text
    async with db.session_factory() as s:
        row = await s.get(IncidentCase, cid)
        release = await s.get(Deadline, f"{cid}/release")
    assert row.releases == 0 and release.state == "running"


async def test_the_office_reassigns_the_lead_department(live, db):
    await login(live, "wjw_officer")
    cid = (await _register(live, db)).headers["location"].rsplit("/", 1)[1]
    assert 'id="reassign-form"' not in (await live.get(f"/incidents/{cid}")).text  # not for an officer
    r = await post_form(live, f"/incidents/{cid}/reassign", {"department_id": str(await _dept(db, "JYJ")),
                                                             "reason": "x"}, token_from=f"/incidents/{cid}")
    assert r.status_code == 403 and "只有公开办负责人、督办人员或领导可以改派牵头部门" in r.text
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")
    page = (await live.get(f"/incidents/{cid}")).text
    assert 'id="reassign-form"' in page and f'<option value="{await _dept(db, "WJW")}">' not in page
    for form, message in [({"department_id": "", "reason": "职责调整"}, "请选择新的牵头部门"),
                          ({"department_id": "999999", "reason": "职责调整"}, "新的牵头部门不存在或已停用"),
                          ({"department_id": str(await _dept(db, "JYJ")), "reason": ""}, "请说明改派理由")]:
        r = await post_form(live, f"/incidents/{cid}/reassign", form, token_from=f"/incidents/{cid}")
        assert r.status_code == 400 and message in r.text, (form, r.status_code)
    r = await post_form(live, f"/incidents/{cid}/reassign", {"department_id": str(await _dept(db, "JYJ")),
                                                             "reason": "涉及校园，改由教育局牵头"},
                        token_from=f"/incidents/{cid}")
    assert r.status_code in (302, 303), r.text[:300]
    page = (await live.get(f"/incidents/{cid}")).text
    assert "牵头责任部门：<strong>区教育局</strong>" in page and "改派牵头部门：涉及校园，改由教育局牵头" in page
    async with db.session_factory() as s:
        row, release = await s.get(IncidentCase, cid), await s.get(Deadline, f"{cid}/release")
    assert row.department_id == release.department_id == await _dept(db, "JYJ")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")  # the new lead now sees the case and the task in its inbox
    assert (await live.get(f"/incidents/{cid}")).status_code == 200
    assert f'href="/incidents/{cid}"' in (await live.get("/inbox")).text


async def test_the_json_api_registers_and_acts(live, db):
    await login(live, "wjw_officer")
    token = await csrf(live, "/")  # the session's token, from any of its pages
    headers = {"x-csrftoken": token}
    occurred = (datetime.now(CST) - timedelta(hours=30)).isoformat()
    body = {"title": "网传某医院拒收急诊病人", "occurred_at": occurred, "location": "区人民医院", "grade": "opinion",
            "source": "hotline", "key": "ignored", "form_key": "hotline-20261122-001"}
    r = await live.post("/api/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["stage"] == "responding" and [c["hours"] for c in case["clocks"]] == [48]
    again = await live.post("/api/incidents", json=body, headers=headers)  # the same key: the same case
    assert again.json()["id"] == case["id"]
    bad = await live.post("/api/incidents", json={**body, "form_key": "x2", "grade": "huge"}, headers=headers)
    assert bad.status_code == 400 and "请选择事件等级" in bad.json()["message"]
    r = await live.post(f"/api/incidents/{case['id']}/release", headers=headers,
                        json={"text": "经核实，医院已接诊，网传不实", "channel": "wechat",
                              "approved_by": "卫健委办公室"})
    assert r.status_code == 200 and r.json()["stage"] == "follow_up" and r.json()["releases"] == 1
    shown = (await live.get(f"/api/incidents/{case['id']}")).json()
    assert shown["clocks"][0]["state"] == "met" and shown["first_release_at"]
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    assert (await live.get(f"/api/incidents/{case['id']}")).status_code == 403


async def test_a_release_form_refuses_a_bad_link_or_picture_beside_its_field(live, db):
    """The release form is multipart: several channels, the link, a screenshot checked by its content
    (a text file named .png is not a picture) and its size; the JSON API takes `channels` and `link`."""
    await login(live, "wjw_officer")
    r = await _register(live, db, grade="general", co_departments=[])
    cid = r.headers["location"].rsplit("/", 1)[-1]
    form = {"text": "情况通报", "channels": ["website", "weibo"], "approved_by": "王主任",
            "link": "not a url"}
    r = await post_form(live, f"/incidents/{cid}/release", form, token_from=f"/incidents/{cid}")
    assert r.status_code == 400
    assert 'data-error-for="link">发布链接应为完整的网址，以 http:// 或 https:// 开头' in r.text
    assert 'id="channel-website" checked' in r.text and 'id="channel-wechat" >' in r.text  # the ticks are kept
    form["link"] = "https://www.example.gov.cn/1.html"
    fake = {"screenshot": ("shot.png", b"<html>not a picture</html>", "image/png")}
    r = await post_form(live, f"/incidents/{cid}/release", form, token_from=f"/incidents/{cid}", files=fake)
    assert r.status_code == 400 and 'data-error-for="screenshot">发布截图应为 PNG 或 JPG 图片' in r.text
    big = {"screenshot": ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024), "image/png")}
    r = await post_form(live, f"/incidents/{cid}/release", form, token_from=f"/incidents/{cid}", files=big)
    assert r.status_code == 400 and "发布截图不能超过 2MB" in r.text
    async with db.session_factory() as s:
        assert (await s.get(IncidentCase, cid)).releases == 0

    headers = {"x-csrftoken": await csrf(live, "/")}
    r = await live.post(f"/api/incidents/{cid}/release", headers=headers, json={
        "text": "情况通报", "channels": ["wechat", "briefing"], "approved_by": "王主任"})
    assert r.status_code == 400 and r.json()["detail"]["field"] == "link"
    r = await live.post(f"/api/incidents/{cid}/release", headers=headers, json={
        "text": "情况通报", "channels": ["wechat", "briefing"], "approved_by": "王主任",
        "link": "https://mp.weixin.qq.com/s/abc"})
    assert r.status_code == 200
    release = r.json()["state"]["releases"][0]
    assert (release["channels"], release["link"]) == (["wechat", "briefing"], "https://mp.weixin.qq.com/s/abc")
    assert (await live.get(f"/incidents/{cid}/releases/1/screenshot")).status_code == 404  # none was sent


async def test_supervision_over_http_who_may_issue_see_and_answer_it(live, db):
    """Only supervisors issue a 督办 (from either board, back to it); its notice opens for those who may
    see the case; only the responsible department answers it."""
    await login(live, "wjw_officer")
    r = await _register(live, db, grade="general", co_departments=[])
    cid = r.headers["location"].rsplit("/", 1)[-1]
    r = await post_form(live, f"/incidents/{cid}/supervise", {"note": "请回应"}, token_from=f"/incidents/{cid}")
    assert r.status_code == 403 and "只有督办人员" in r.text
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "duban")
    board = (await live.get("/board")).text
    assert f'action="/incidents/{cid}/supervise?next=/board"' in board  # the supervisors' board offers it too
    r = await post_form(live, f"/incidents/{cid}/supervise?next=/board", {"note": ""}, token_from="/board")
    assert r.status_code == 400 and 'data-error-for="note">请填写督办事项' in r.text
    r = await post_form(live, f"/incidents/{cid}/supervise?next=/board", {"note": "网上关注度高，请尽快回应"},
                        token_from="/board")
    assert r.status_code in (302, 303) and r.headers["location"] == "/board"
    async with db.session_factory() as s:
        letter = (await s.execute(select(Letter).where(Letter.case_id == cid))).scalar_one()
    notice = await live.get(f"/incidents/{cid}/letters/{letter.id}")
    assert notice.status_code == 200 and "督办事项：</strong>网上关注度高，请尽快回应" in notice.text
    board = (await live.get("/board")).text  # the feedback clock, with who handles it
    assert "督办反馈期限" in board and "郑洁" in board

    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")  # another department: neither the notice nor the answer
    assert (await live.get(f"/incidents/{cid}/letters/{letter.id}")).status_code == 403
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "wjw_officer")
    page = (await live.get(f"/incidents/{cid}")).text
    assert f'href="/incidents/{cid}/letters/{letter.id}"' in page and 'id="feedback-form-1"' in page
    r = await post_form(live, f"/incidents/{cid}/supervision_feedback", {"number": "1", "feedback": " "},
                        token_from=f"/incidents/{cid}")
    assert r.status_code == 400 and 'data-error-for="feedback">请填写督办落实情况' in r.text
    r = await post_form(live, f"/incidents/{cid}/supervision_feedback", {"number": "1", "feedback": "已回应"},
                        token_from=f"/incidents/{cid}")
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        assert (await s.get(Deadline, f"{cid}/supervision/1")).state == "met"
