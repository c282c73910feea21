"""A correction through the pages: /track takes it (or refuses it, keeping the text), the case page
lists it and serves its files through the case's file route (audited for those not handling the
case), and the receipt form refuses a bad date beside its field."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from sqlmodel import select

from gongkai.clock import CST
from models import AuditEvent, DisclosureRequest
from tests.web.conftest import csrf, login, post_form

PDF = b"%PDF-1.4\n% test identity document\n"
SCAN = b"%PDF-1.4\n% the corrected application\n"


async def _as(live, username: str) -> None:
    await post_form(live, "/logout", {}, token_from="/")
    assert (await login(live, username)).status_code in (302, 303)


async def _in_correction(live) -> tuple[str, str]:
    """An online request, confirmed and sent a correction notice by the office's officer."""
    form = {"applicant_type": "natural_person", "name": "孙八", "id_doc_type": "resident_id",
            "id_doc_number": "110101199203031234", "phone": "13600000000", "email": "sun@example.cn",
            "address": "", "description": "申请公开本区2026年道路维修计划", "provision_form": "electronic",
            "provision_channel": "email", "form_key": uuid.uuid4().hex}
    token = await csrf(live, "/apply")
    receipt = await live.post("/apply", data={**form, "_csrf_token": token},
                              files={"attachments": ("id.pdf", PDF, "application/pdf")})
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)
    await login(live, "gkb_officer")
    for action, data in [("confirm_receipt", {}), ("request_correction", {"items": "请写明路段", "period_wd": "10"})]:
        r = await post_form(live, f"/disclosure/{code}/{action}", data, token_from=f"/disclosure/{code}")
        assert r.status_code in (302, 303), (action, r.text[:500])
    await post_form(live, "/logout", {}, token_from="/")
    return code, query


async def _send(live, code: str, query: str, text: str, files=None):
    token = await csrf(live, "/track")
    return await live.post("/track/correction", data={"code": code, "query_code": query, "correction_text": text,
                                                      "_csrf_token": token}, files=files or {})


async def test_track_takes_a_correction_and_the_case_page_records_its_receipt(live, db):
    code, query = await _in_correction(live)
    waiting = await post_form(live, "/track", {"code": code, "query_code": query})
    assert "补正后重新计算" in waiting.text and "暂停计算" not in waiting.text
    assert 'id="correction-form"' in waiting.text

    wrong = await _send(live, code, "WRONG123", "路段为XX路")
    assert wrong.status_code == 400 and "不正确" in wrong.text
    bad = await _send(live, code, query, "路段为XX路<b>", {"attachments": ("x.exe", b"MZ\x90\x00", "application/pdf")})
    assert bad.status_code == 400 and "不是 PDF、JPG 或 PNG" in bad.text
    assert "路段为XX路&lt;b&gt;</textarea>" in bad.text  # what was typed comes back, escaped
    empty = await _send(live, code, query, " ")
    assert empty.status_code == 400 and "请填写补正后的申请内容" in empty.text
    sent = await _send(live, code, query, "路段为XX路", {"attachments": ("补正.pdf", SCAN, "application/pdf")})
    assert sent.status_code == 200 and "待工作人员确认收到" in sent.text and "补正.pdf" in sent.text
    async with db.session_factory() as s:
        assert "已在线提交补正材料" in (await s.get(DisclosureRequest, code)).public_note

    # A supervisor sees it on the case page; opening its file is recorded, as for the application's.
    assert (await login(live, "duban")).status_code in (302, 303)
    page = await live.get(f"/disclosure/{code}")
    assert "路段为XX路" in page.text and 'data-action="receive_correction"' not in page.text
    file_url = re.search(rf'href="(/disclosure/{code}/files/\d+)" data-correction-file="补正.pdf"', page.text).group(1)
    download = await live.get(file_url)
    assert download.status_code == 200 and download.content == SCAN
    async with db.session_factory() as s:
        audited = list((await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == code, AuditEvent.action == "attachment_downloaded"))).scalars())
    assert [e.actor for e in audited] == ["duban"]

    # The officer's receipt: a day in the future is refused beside the field, what was typed kept.
    await _as(live, "gkb_officer")
    tomorrow = (datetime.now(CST) + timedelta(days=1)).date().isoformat()
    token = await csrf(live, f"/disclosure/{code}")
    refused = await live.post(f"/disclosure/{code}/correction/receive", data={
        "day": tomorrow, "channel": "online", "text": "", "_csrf_token": token}, files={})
    assert refused.status_code == 400 and 'data-error-for="day"' in refused.text and "不能晚于今天" in refused.text
    assert f'value="{tomorrow}"' in refused.text
    token = await csrf(live, f"/disclosure/{code}")
    done = await live.post(f"/disclosure/{code}/correction/receive", data={
        "day": "", "channel": "online", "text": "", "_csrf_token": token}, files={}, follow_redirects=False)
    assert done.status_code in (302, 303), done.text[:500]
    today = datetime.now(CST).date().isoformat()
    page = await live.get(f"/disclosure/{code}")
    assert 'data-stage="review"' in page.text and f"补正后重新计算，自 {today} 起 20 个工作日" in page.text

    await post_form(live, "/logout", {}, token_from="/")
    status = await post_form(live, "/track", {"code": code, "query_code": query})
    assert f"补正后重新计算，自 {today} 起 20 个工作日" in status.text and 'id="correction-form"' not in status.text
    late = await _send(live, code, query, "再补充一点")
    assert late.status_code == 409 and "不能提交补正材料" in late.text
