"""Disclosure requests through the pages and the JSON API, against real Temporal and SQL."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from sqlmodel import func, select
from temporalio.service import RPCError, RPCStatusCode

from gongkai.clock import CST
from models import DisclosureRequest, IntakeKey
from tests.web.conftest import csrf, login, post_form

PDF = b"%PDF-1.4\n% test identity document\n"


def _form(**extra) -> dict:
    return {"applicant_type": "natural_person", "name": "王小明", "id_doc_type": "resident_id",
            "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "wang@example.cn",
            "address": "", "description": "申请公开本区2025年义务教育学校招生计划及其制定依据",
            "provision_form": "electronic", "provision_channel": "email", "form_key": uuid.uuid4().hex, **extra}


async def _apply(client, form: dict, files=None):
    token = await csrf(client, "/apply")
    return await client.post("/apply", data={**form, "_csrf_token": token},
                             files=files or {"attachments": ("id.pdf", PDF, "application/pdf")})


async def test_public_form_validation_and_one_request_per_submission(live, db):
    bad = await _apply(live, _form(id_doc_number="123"))
    assert bad.status_code == 400 and "18位" in bad.text and "王小明" in bad.text  # what was typed is kept
    wrong_type = await _apply(live, _form(), files={"attachments": ("id.exe", b"MZ\x90\x00", "application/pdf")})
    assert wrong_type.status_code == 400 and "不是 PDF、JPG 或 PNG" in wrong_type.text
    big = await _apply(live, _form(), files={"attachments": ("id.pdf", PDF + b"0" * (5 * 1024 * 1024), "x")})
    assert big.status_code == 400 and "超过 5MB" in big.text

    form = _form()
    first = await _apply(live, form)
    assert first.status_code == 201 or first.status_code == 200
    code = re.search(r'id="tracking-code">([^<]+)<', first.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', first.text).group(1)
    again = await _apply(live, form)  # a double click, or the back button and submit again
    assert re.search(r'id="tracking-code">([^<]+)<', again.text).group(1) == code
    async with db.session_factory() as s:
        rows = list((await s.execute(select(DisclosureRequest))).scalars())
    assert [r.id for r in rows] == [code] and rows[0].stage == "awaiting_confirmation"

    status = await post_form(live, "/track", {"code": code, "query_code": query})
    assert status.status_code == 200 and "待确认收到" in status.text
    wrong = await post_form(live, "/track", {"code": code, "query_code": "WRONG123"})
    assert wrong.status_code == 400 and "不正确" in wrong.text


async def test_rate_limit_per_client_address(live):
    for _ in range(5):
        assert (await _apply(live, _form())).status_code in (200, 201)
    limited = await _apply(live, _form())
    assert limited.status_code == 429 and "频繁" in limited.text


async def test_officer_works_a_case_and_the_applicant_sees_the_reply(live, db):
    form = _form()
    receipt = await _apply(live, form)
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)

    await login(live, "gkb_officer")
    page = await live.get(f"/disclosure/{code}")
    assert page.status_code == 200 and 'data-action="confirm_receipt"' in page.text
    draft = {"disposition": "GRANTED", "reason": "granted", "text": "予以公开，见附件。"}
    for action, data in [("confirm_receipt", {}), ("claim", {}), ("accept", {}), ("draft_reply", draft)]:
        r = await post_form(live, f"/disclosure/{code}/{action}", data, token_from=f"/disclosure/{code}")
        assert r.status_code in (302, 303), (action, r.text[:500])
    page = await live.get(f"/disclosure/{code}")
    assert 'data-stage="sign_off"' in page.text and 'data-action="sign_off"' not in page.text  # not for officers
    # Refused actions say why, and change nothing.
    r = await post_form(live, f"/disclosure/{code}/archive", {}, token_from=f"/disclosure/{code}")
    assert r.status_code == 400 or r.status_code == 409
    assert "不能归档" in r.text

    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")
    r = await post_form(live, f"/disclosure/{code}/sign_off", {"approve": "true"}, token_from=f"/disclosure/{code}")
    assert r.status_code in (302, 303)
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_officer")
    r = await post_form(live, f"/disclosure/{code}/send_reply", {"channel": "email"}, token_from=f"/disclosure/{code}")
    assert r.status_code in (302, 303)
    page = await live.get(f"/disclosure/{code}")
    assert 'data-stage="replied"' in page.text and 'data-letter="reply_GRANTED"' in page.text
    for action in ("registered", "receipt_confirmed", "claimed", "reply_sent"):
        assert f'data-action="{action}"' in page.text

    await post_form(live, "/logout", {}, token_from="/")
    status = await post_form(live, "/track", {"code": code, "query_code": query})
    assert "已答复" in status.text and 'data-letter-kind="reply_GRANTED"' in status.text
    assert "gkb_officer" not in status.text and "审签" not in status.text  # nothing internal


async def test_other_departments_get_403_on_the_page_and_the_api(live, db):
    await login(live, "jyj_officer")
    form = _form(intake_channel="in_person", received_date="", department_id="")
    async with db.session_factory() as s:
        from models import User

        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    token = await csrf(live, "/disclosure/new")
    r = await live.post("/disclosure/new", data={**form, "department_id": str(me.department_id),
                                                 "received_date": "2026-01-05", "_csrf_token": token},
                        follow_redirects=False)
    assert r.status_code == 201 and 'id="query-code"' in r.text, r.text[:800]
    code = r.headers["location"].split("/")[2].split("?")[0]
    assert (await live.get(f"/api/disclosure/{code}")).json()["stage"] == "review"
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zrzy_officer")
    assert (await live.get(f"/disclosure/{code}")).status_code == 403
    api = await live.get(f"/api/disclosure/{code}")
    assert api.status_code == 403 and api.json()["error"] == "permission_denied"
    token = await csrf(live, "/")
    act = await live.post(f"/api/disclosure/{code}/claim", json={}, headers={"x-csrftoken": token})
    assert act.status_code == 403



ID_NUMBER, PHONE = "11010119900101123X", "13800000000"
MASKED_ID, MASKED_PHONE = "110101********123X", "138****0000"


async def _registered_and_claimed(live, db) -> str:
    """A request registered to 教育局 by its officer, with an ID copy, and claimed by that officer."""
    from models import User

    async with db.session_factory() as s:
        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    await login(live, "jyj_officer")
    token = await csrf(live, "/disclosure/new")
    form = _form(intake_channel="in_person", received_date="2026-01-05", department_id=str(me.department_id))
    r = await live.post("/disclosure/new", data={**form, "_csrf_token": token},
                        files={"attachments": ("id.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert r.status_code == 201, r.text[:800]
    code = r.headers["location"].split("/")[2].split("?")[0]
    claimed = await post_form(live, f"/disclosure/{code}/claim", {}, token_from=f"/disclosure/{code}")
    assert claimed.status_code in (302, 303)
    return code


async def _as(live, username: str) -> None:
    await post_form(live, "/logout", {}, token_from="/")
    assert (await login(live, username)).status_code in (302, 303)


async def _audit(db, code: str) -> list:
    from models import AuditEvent

    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == code, AuditEvent.action.in_(["identity_revealed", "attachment_downloaded"]))
            .order_by(AuditEvent.id))).scalars())


async def test_applicant_numbers_are_masked_except_to_those_handling_the_request(live, db):
    code = await _registered_and_claimed(live, db)
    page = (await live.get(f"/disclosure/{code}")).text  # the assignee
    assert ID_NUMBER in page and PHONE in page and 'data-masked="false"' in page and 'id="reveal"' not in page
    assert f"/disclosure/{code}/files/" in page
    for username in ("jyj_head", "gkb_head"):  # the department's head, the office head who signs replies
        await _as(live, username)
        page = (await live.get(f"/disclosure/{code}")).text
        assert ID_NUMBER in page and PHONE in page, username

    for username in ("admin", "duban", "leader", "zhuyao", "gkb_officer"):
        await _as(live, username)
        response = await live.get(f"/disclosure/{code}")
        page = response.text
        assert response.status_code == 200 and 'data-masked="true"' in page, username
        assert MASKED_ID in page and MASKED_PHONE in page, username
        assert ID_NUMBER not in page and PHONE not in page, username  # not in the source either
        assert f"/disclosure/{code}/files/" not in page and 'id="reveal"' in page
        api = await live.get(f"/api/disclosure/{code}")
        assert api.status_code == 200 and ID_NUMBER not in api.text and PHONE not in api.text
    assert await _audit(db, code) == []  # looking at masked numbers is not recorded


async def test_reveal_shows_the_numbers_and_records_who_and_when(live, db):
    code = await _registered_and_claimed(live, db)
    await _as(live, "duban")
    token = await csrf(live, f"/disclosure/{code}")
    no_token = await live.post(f"/disclosure/{code}/reveal", headers={"hx-request": "true"})
    assert no_token.status_code == 403 and ID_NUMBER not in no_token.text  # CSRF-protected
    shown = await live.post(f"/disclosure/{code}/reveal", headers={"hx-request": "true", "x-csrftoken": token})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert shown.text.lstrip().startswith("<div id=\"identity\"")  # the fragment htmx swaps in
    assert ID_NUMBER in shown.text and PHONE in shown.text and 'data-masked="false"' in shown.text
    (event,) = await _audit(db, code)
    assert (event.actor, event.action, event.case_id) == ("duban", "identity_revealed", code)
    assert ID_NUMBER not in str(event.summary) + str(event.detail) and PHONE not in str(event.detail)
    file_id = int(re.search(rf"/disclosure/{code}/files/(\d+)", shown.text).group(1))
    download = await live.get(f"/disclosure/{code}/files/{file_id}")
    assert download.status_code == 200 and download.content == PDF
    assert [e.action for e in await _audit(db, code)] == ["identity_revealed", "attachment_downloaded"]

    # Without htmx the whole page comes back, the numbers whole, and the record shows the reveal.
    await _as(live, "admin")
    whole = await post_form(live, f"/disclosure/{code}/reveal", {}, token_from=f"/disclosure/{code}")
    assert whole.status_code == 200 and 'id="timeline"' in whole.text and ID_NUMBER in whole.text
    assert 'data-action="identity_revealed"' in whole.text
    assert [(e.actor, e.action) for e in await _audit(db, code)][-1] == ("admin", "identity_revealed")
    assert ID_NUMBER not in (await live.get(f"/disclosure/{code}")).text  # once, not from now on

    # Someone who may not see the request reveals nothing, and nothing is recorded.
    await _as(live, "zrzy_officer")
    refused = await post_form(live, f"/disclosure/{code}/reveal", {}, token_from="/")
    assert refused.status_code == 403 and ID_NUMBER not in refused.text
    assert len(await _audit(db, code)) == 3

    # The handler downloads without a record; a handler has nothing to reveal.
    await _as(live, "jyj_officer")
    assert (await live.get(f"/disclosure/{code}/files/{file_id}")).status_code == 200
    assert len(await _audit(db, code)) == 3


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31"])
async def test_a_received_date_outside_the_calendar_is_refused_beside_the_field_before_a_code_is_given(live, db,
                                                                                                      day):
    """0001-01-01 once got a code, started a workflow that could never compute its clock and answered
    409; now the form refuses it (400, the reason beside the field, what was typed kept) and nothing
    is allocated or started."""
    await login(live, "jyj_officer")
    async with db.session_factory() as s:
        from models import User

        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    form = _form(intake_channel="in_person", received_date=day, department_id=str(me.department_id))
    r = await live.post("/disclosure/new", data={**form, "_csrf_token": await csrf(live, "/disclosure/new")},
                        follow_redirects=False)
    assert r.status_code == 400
    assert re.search(r'data-error-for="received_date">收到日期不在系统可计算期限的范围内（1990年至2200年）', r.text)
    assert 'value="王小明"' in r.text and "query_code" not in r.text
    async with db.session_factory() as s:
        for model in (IntakeKey, DisclosureRequest):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 0, model
    with pytest.raises(RPCError) as missing:
        await live._transport.app.state.temporal.get_workflow_handle(
            f"DR-{datetime.now(CST).year}-000001").describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND
