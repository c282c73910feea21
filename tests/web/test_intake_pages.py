"""The applicant's receipt, resubmissions landing on one request, and withdrawal with its
confirmation step: through the pages, against real Temporal and SQL."""

from __future__ import annotations

import re
import uuid

from sqlmodel import delete, select

from models import DisclosureRequest, Letter, OfficeProfile
from tests.letters.support import pdf_text
from tests.web.conftest import csrf, post_form
from tests.web.test_disclosure_pages import _apply, _form

TRACKING = re.compile(r'id="tracking-code">([^<]+)<')
QUERY = re.compile(r'id="query-code">([^<]+)<')


async def _codes(response) -> tuple[str, str]:
    return TRACKING.search(response.text).group(1), QUERY.search(response.text).group(1)


async def _requests(db) -> list[DisclosureRequest]:
    async with db.session_factory() as s:
        return list((await s.execute(select(DisclosureRequest).order_by(DisclosureRequest.id))).scalars())


async def test_the_receipt_names_the_time_the_request_the_agency_and_what_comes_next(live, db):
    async with db.session_factory() as s:
        await s.merge(OfficeProfile(id=1, agency_name="某某区人民政府办公室", agency_code="某府办公开",
                                    phone="010-12345678"))  # over the demo office the tests seed
        await s.commit()
    long_text = "申请公开本区2025年义务教育学校招生计划及其制定依据，" + "包括各学校招生人数和划片范围" * 8
    receipt = await _apply(live, _form(description=long_text))
    assert receipt.status_code in (200, 201), receipt.text[:500]
    code, query = await _codes(receipt)
    [row] = await _requests(db)
    assert row.id == code
    text = receipt.text
    assert "某某区人民政府办公室" in text and "010-12345678" in text
    assert re.search(r'id="submitted-at">\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}<', text)
    summary = re.search(r'id="summary">([^<]+)<', text).group(1)
    assert summary.startswith("申请公开本区2025年义务教育学校招生计划") and summary.endswith("……")
    assert len(summary) < len(long_text)
    assert "20个工作日" in text and "确认收到申请的日期" in text
    assert 'data-print id="print-receipt"' in text and "<script>" not in text  # wired in app.js, no inline code
    # the office's 登记回执 as a PDF, straight from the receipt page (its form, with the codes it shows)
    form = re.search(r'<form method="post" action="/track/letter"[^>]*id="receipt-letter-form">(.*?)</form>', text,
                     re.S)
    assert form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
    assert fields["code"] == code and fields["query_code"] == query
    pdf = await live.post("/track/letter", data=fields)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    printed = pdf_text(pdf.content)
    assert "政府信息公开申请登记回执" in printed and "某府办公开受〔" in printed and "王小明" in printed


async def test_the_receipt_says_when_the_office_is_not_set_up(live, db):
    async with db.session_factory() as s:
        await s.execute(delete(OfficeProfile))
        await s.commit()
    receipt = await _apply(live, _form())
    assert receipt.status_code in (200, 201) and 'id="agency-name">（未设置）<' in receipt.text


async def test_the_same_form_submitted_twice_opens_one_case(live, db):
    """A double click or a reload of the POST: the same form key. Back, then submit: a fresh form
    (a new key), the same content. All land on one request; each answer shows a code that opens it."""
    form = _form()
    first = await _apply(live, form)
    again = await _apply(live, form)  # the same form a second time
    after_back = await _apply(live, {**form, "form_key": uuid.uuid4().hex,  # a fresh copy, retyped
                                     "description": form["description"] + "\r\n", "name": " 王小明"})
    codes = [await _codes(r) for r in (first, again, after_back)]
    assert {c for c, _q in codes} == {codes[0][0]}
    assert len({q for _c, q in codes}) == 3  # a new query code each time, as before
    assert [r.id for r in await _requests(db)] == [codes[0][0]]
    for code, query in codes:  # every code handed out opens the request
        status = await post_form(live, "/track", {"code": code, "query_code": query})
        assert status.status_code == 200 and "待确认收到" in status.text


async def test_a_different_request_by_the_same_person_opens_a_new_case(live, db):
    first = await _apply(live, _form())
    other = await _apply(live, _form(description="申请公开本区2025年学区划分方案及听证记录"))
    assert (await _codes(first))[0] != (await _codes(other))[0]
    assert len(await _requests(db)) == 2


async def test_withdrawal_asks_for_confirmation_then_shows_the_result(live, db):
    form = _form()
    code, query = await _codes(await _apply(live, form))
    asked = await post_form(live, "/track/withdraw/confirm",
                            {"code": code, "query_code": query, "reason": "已另行获取"}, token_from="/track")
    assert asked.status_code == 200
    assert "撤回后不能恢复" in asked.text and "确认撤回" in asked.text and "取消" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text and "已另行获取" in asked.text
    assert (await _requests(db))[0].stage == "awaiting_confirmation"  # nothing done yet

    cancelled = await post_form(live, "/track", {"code": code, "query_code": query})  # 取消: back to the status
    assert cancelled.status_code == 200 and "待确认收到" in cancelled.text

    confirm = {"code": code, "query_code": query, "reason": "已另行获取", "confirmed": "yes"}
    done = await post_form(live, "/track/withdraw", confirm, token_from="/track")
    assert done.status_code == 200 and 'id="stage">已撤回<' in done.text
    assert 'data-letter-kind="withdrawn"' in done.text and 'id="withdraw-form"' not in done.text
    assert (await _requests(db))[0].stage == "withdrawn"

    again = await post_form(live, "/track/withdraw", confirm, token_from="/track")  # a second click, a reload
    assert again.status_code == 409 and "已撤回" in again.text and 'id="form-error"' in again.text
    stale = await post_form(live, "/track/withdraw/confirm", {"code": code, "query_code": query},
                            token_from="/track")  # the form of a page opened before
    assert stale.status_code == 409 and "无需再次撤回" in stale.text
    async with db.session_factory() as s:
        letters = list((await s.execute(select(Letter).where(Letter.case_id == code, Letter.kind == "withdrawn"))
                        ).scalars())
    assert len(letters) == 1
    # asking the same again after withdrawing (a fresh form) is a new request, not the withdrawn one
    anew = await _apply(live, {**form, "form_key": uuid.uuid4().hex})
    assert (await _codes(anew))[0] != code and len(await _requests(db)) == 2


async def test_a_withdrawal_form_without_the_confirmation_asks_first(live, db):
    """A status page loaded before the confirmation step posts straight to /track/withdraw."""
    code, query = await _codes(await _apply(live, _form()))
    token = await csrf(live, "/track")
    r = await live.post("/track/withdraw", data={"code": code, "query_code": query, "_csrf_token": token})
    assert r.status_code == 200 and "撤回后不能恢复" in r.text
    assert (await _requests(db))[0].stage == "awaiting_confirmation"


async def test_withdrawal_needs_the_query_code(live, db):
    code, _query = await _codes(await _apply(live, _form()))
    r = await post_form(live, "/track/withdraw", {"code": code, "query_code": "WRONGWRONG12", "confirmed": "yes"},
                        token_from="/track")
    assert r.status_code == 400 and "不正确" in r.text
    assert (await _requests(db))[0].stage == "awaiting_confirmation"
