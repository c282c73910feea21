"""The one action path, tried as users would: a refused action shows the case page again (400 or
409) with the message beside its field and what was typed, and the JSON API says the same; a
finished case of every process, an oversize text, a hostile JSON body and an out-of-range filter
get their clear 4xx, never a 500. Each of these ended in "出错了（500）" before."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta

from sqlmodel import select

from gongkai.clock import CST
from models import Department, DisclosureRequest, IncidentCase, PolicyCase
from tests.web.conftest import csrf, login, post_form
from tests.web.test_disclosure_pages import _apply, _form
from tests.web.test_policy_pages import DRAFT, _new_policy

TODAY = lambda: datetime.now(CST).date().isoformat()  # noqa: E731


async def _step(client, path: str, action: str, data: dict | None = None):
    r = await post_form(client, f"{path}/{action}", data or {}, token_from=path)
    assert r.status_code in (302, 303), (action, r.status_code, r.text[:400])
    return r


async def _as(client, username: str) -> None:
    await post_form(client, "/logout", {}, token_from="/")
    assert (await login(client, username)).status_code in (302, 303)


async def _online_request(client) -> str:
    receipt = await _apply(client, _form())
    assert receipt.status_code == 200, receipt.text[:300]
    return re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)


async def _api(client, path: str, body, token_from: str = "/"):
    token = await csrf(client, token_from)
    return await client.post(path, json=body, headers={"x-csrftoken": token})


async def _in_handling(client) -> tuple[str, str]:
    """An online request, confirmed, claimed and accepted by the office's officer (signed in)."""
    code = await _online_request(client)
    case = f"/disclosure/{code}"
    await login(client, "gkb_officer")
    for action, data in (("confirm_receipt", {"day": TODAY()}), ("claim", {}), ("accept", {})):
        await _step(client, case, action, data)
    return code, case


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'data-error-for="{field}">([^<]+)<', html)
    assert found, f"no message beside {field}"
    return found.group(1)


async def test_a_refused_action_shows_the_case_again_with_the_message_beside_the_field(live, db):
    code, case = await _in_handling(live)

    blank = await post_form(live, f"{case}/draft_reply", {"disposition": "GRANTED", "reason": "granted",
                                                          "text": "   "}, token_from=case)
    assert blank.status_code == 400
    assert _field_error(blank.text, "text") == "请填写答复内容" and 'id="form-error"' in blank.text

    unknown = await post_form(live, f"{case}/draft_reply", {"disposition": "MAYBE", "reason": "granted",
                                                            "text": "经审查，予以公开（草稿）"}, token_from=case)
    assert unknown.status_code == 400 and _field_error(unknown.text, "disposition") == "请选择答复类型"
    assert "经审查，予以公开（草稿）</textarea>" in unknown.text  # what was typed is still there

    await _step(live, case, "start_consultation", {"party": "某某建设集团", "kind": "third_party"})
    empty = await post_form(live, f"{case}/end_consultation", {"summary": ""}, token_from=case)
    assert empty.status_code == 400 and "请简述征求意见的结果" in _field_error(empty.text, "summary")

    api = await _api(live, f"/api/disclosure/{code}/end_consultation", {"summary": " "}, case)
    assert api.status_code == 400
    assert api.json()["error"] == "invalid_input" and api.json()["detail"] == {"field": "summary"}
    async with db.session_factory() as s:
        assert (await s.get(DisclosureRequest, code)).stage == "consultation"  # nothing was written


async def test_oversize_input_is_refused_with_its_own_message_before_temporal(live, db):
    code, case = await _in_handling(live)
    huge = "公开" * 500_000  # about 3 MB as JSON, 1,000,000 characters
    page = await post_form(live, f"{case}/draft_reply", {"disposition": "GRANTED", "reason": "granted",
                                                         "text": huge}, token_from=case)
    assert page.status_code == 400 and "提交的内容过长" in page.text and "流程已结束" not in page.text
    api = await _api(live, f"/api/disclosure/{code}/draft_reply",
                     {"disposition": "GRANTED", "reason": "granted", "text": huge}, case)
    assert api.status_code == 400 and "提交的内容过长" in api.json()["message"]
    long = await post_form(live, f"{case}/draft_reply", {"disposition": "GRANTED", "reason": "granted",
                                                         "text": "长" * 8001}, token_from=case)
    assert long.status_code == 400 and "答复内容不能超过8000字" in _field_error(long.text, "text")


async def test_withdrawing_on_the_status_page_and_acting_on_the_finished_request(live, db):
    receipt = await _apply(live, _form())
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query_code = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)
    form = {"code": code, "query_code": query_code, "reason": "已通过其他途径获得", "confirmed": "yes"}
    done = await post_form(live, "/track/withdraw", form, token_from="/track")
    assert done.status_code == 200 and '<strong id="stage">已撤回</strong>' in done.text
    again = await post_form(live, "/track/withdraw", form, token_from="/track")  # the second click
    assert again.status_code == 409 and "该申请已撤回，无需再次撤回" in again.text

    await login(live, "gkb_officer")
    case = f"/disclosure/{code}"
    page = await post_form(live, f"{case}/claim", {}, token_from=case)
    assert page.status_code == 409 and "该申请的流程已结束，不能再办理" in page.text
    api = await _api(live, f"/api/disclosure/{code}/claim", {}, case)
    assert api.status_code == 409 and api.json()["message"] == "该申请的流程已结束，不能再办理"


async def test_an_action_on_a_closed_policy_case(live, db):
    await login(live, "jyj_officer")
    cid = await _new_policy(live, "department")
    case = f"/policy/{cid}"
    await _step(live, case, "update_draft", DRAFT)
    await _step(live, case, "submit")
    await _as(live, "jyj_head")
    await _step(live, case, "sign", {"version": "1", "approve": "true"})
    await _step(live, case, "secrecy_review", {"approve": "true"})
    await _as(live, "jyj_officer")
    await _step(live, case, "publish", {"day": TODAY(), "url": "http://www.example.gov.cn/zc/1"})
    await _step(live, case, "publish_interpretation", {"day": TODAY(), "url": "http://www.example.gov.cn/jd/1"})
    await _step(live, case, "close")
    async with db.session_factory() as s:
        assert (await s.get(PolicyCase, cid)).stage == "closed"
    late = await post_form(live, f"{case}/add_note", {"text": "办结后又有舆情"}, token_from=case)
    assert late.status_code == 409 and "该政策文件的流程已结束，不能再办理" in late.text


async def test_an_action_on_a_closed_incident_and_hostile_json(live, db):
    async with db.session_factory() as s:
        wjw = (await s.execute(select(Department.id).where(Department.code == "WJW"))).scalar_one()
    await login(live, "wjw_officer")
    body = {"title": "网传某医院拒收病人", "occurred_at": (datetime.now(CST) - timedelta(hours=2)).isoformat(),
            "location": "某医院", "grade": "general", "source": "online", "department_id": wjw,
            "form_key": uuid.uuid4().hex}
    for hostile in ({"a": 1}, [{"a": 1}], "abc", [True], 99999999999999999999999):
        r = await _api(live, "/api/incidents", {**body, "co_departments": hostile})
        assert r.status_code == 400 and r.json()["detail"].get("field") == "co_departments", (hostile, r.text)
    created = await _api(live, "/api/incidents", body)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    case = f"/incidents/{cid}"
    await _step(live, case, "release", {"text": "经核实，网传不实", "channel": "weibo", "approved_by": "办公室"})
    await _step(live, case, "classify", {"category": "misunderstanding"})
    await _step(live, case, "end_response")
    await _as(live, "gkb_head")
    await _step(live, case, "evaluate", {"effect": "good", "summary": "回应及时"})
    await _step(live, case, "close")
    async with db.session_factory() as s:
        assert (await s.get(IncidentCase, cid)).stage == "closed"
    page = await post_form(live, f"{case}/close", {}, token_from=case)
    assert page.status_code == 409 and "该事件的流程已结束，不能再办理" in page.text
    api = await _api(live, f"/api/incidents/{cid}/release", {"text": "补充", "channel": "weibo",
                                                             "approved_by": "办公室"}, case)
    assert api.status_code == 409 and api.json()["message"] == "该事件的流程已结束，不能再办理"


async def test_an_out_of_range_filter_is_a_clear_400(live, db):
    await login(live, "gkb_head")
    for query in ({"department": "99999999999999999999999"}, {"department": "-1"}, {"department": "x"}):
        r = await live.get("/inbox", params=query)
        assert r.status_code == 400 and "请求格式不正确" in r.text, (query, r.status_code)
    assert (await live.get("/board", params={"within": "99999999999999999999999"})).status_code == 400


async def test_a_request_between_its_intake_and_first_projection_says_so(client, db):
    """The intake row exists a moment before the first projection writes its view."""
    from activities.disclosure import DisclosureActivities
    from contracts.disclosure import CreateInput
    from gongkai.settings import get_settings
    from tests.workflows.disclosure_support import department_id, request_input
    from worker import lookup_keys

    rid = "DR-2026-000777"
    inp = request_input(rid, await department_id(db, "JYJ"), datetime.now(CST))
    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
    await acts.create(CreateInput(inp, rid, "review", 2026))
    await login(client, "jyj_officer")
    page = await client.get(f"/disclosure/{rid}")
    assert page.status_code == 409 and "该申请正在登记，请稍后刷新页面" in page.text


async def test_an_action_taken_but_not_shown_yet_is_not_offered_again(live, db, monkeypatch):
    """When the projection is late (a busy database), the page says the action was taken and is being
    processed, and does not offer what was typed for a second submission."""
    from web import actions
    from web.visible import NotYetShown

    code = await _online_request(live)
    case = f"/disclosure/{code}"
    await login(live, "gkb_officer")
    await _step(live, case, "confirm_receipt", {"day": TODAY()})

    async def late(*_args, **_kwargs):
        raise NotYetShown("操作已提交，正在处理，请稍后刷新页面")

    monkeypatch.setattr(actions, "wait_visible", late)
    page = await post_form(live, f"{case}/request_correction", {"items": "请写明文号（第二次提交会重复）",
                                                                "period_wd": "10"}, token_from=case)
    assert page.status_code == 202 and 'class="warning" id="form-error"' in page.text
    assert "操作已提交，正在处理，请稍后刷新页面" in page.text
    # Not offered again in a form (the case page may already show the items taken, in its correction section).
    assert "第二次提交会重复</textarea>" not in page.text and 'value="请写明文号' not in page.text
    monkeypatch.undo()
    async with db.session_factory() as s:  # the workflow did take it
        for _ in range(50):
            s.expire_all()
            if (await s.get(DisclosureRequest, code)).stage == "correction":
                break
            await asyncio.sleep(0.1)
        assert (await s.get(DisclosureRequest, code)).stage == "correction"
