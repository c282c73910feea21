"""Letters as their readers get them: the officer's screen view and PDF, the applicant's PDF from
/track with the codes, the same document on every download; and 管理 › 本机关信息."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from activities.disclosure import DisclosureActivities
from contracts.case import LetterSpec
from contracts.disclosure import CreateInput
from gongkai.intake import allocate
from gongkai.settings import get_settings
from models import AuditEvent, Letter, OfficeProfile
from tests.letters.support import SEAL, pdf_text
from tests.letters.test_numbers import _correction
from tests.web.conftest import csrf, login, post_form
from tests.workflows.disclosure_support import department_id, request_input
from worker import lookup_keys

AT = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


async def _case_with_letters(db) -> tuple[str, str, dict[str, Letter]]:
    """A request of the education bureau with a public letter and one to a consulted body."""
    async with db.session_factory() as s:
        rid, code, _new = await allocate(s, uuid.uuid4().hex, with_code=True)
    assert code is not None
    dept = await department_id(db, "JYJ")
    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
    await acts.create(CreateInput(request_input(rid, dept, AT), rid, "review", 2026))
    p = _correction(rid, dept)
    p.letters.append(LetterSpec(f"{rid}/letter:consultation_request/1", "consultation_request", "征求意见函",
                                public=False))
    await acts.write(p)
    async with db.session_factory() as s:
        letters = {x.kind: x for x in (await s.execute(select(Letter).where(Letter.case_id == rid))).scalars()}
    return rid, code, letters


async def test_the_officer_reads_a_letter_on_screen_and_downloads_the_same_pdf_each_time(client, db):
    rid, _code, letters = await _case_with_letters(db)
    letter = letters["correction"]
    await login(client, "jyj_officer")
    case = await client.get(f"/disclosure/{rid}")
    assert letter.doc_no in case.text and f'/letters/{letter.id}.pdf' in case.text and "不向申请人公开" in case.text
    page = await client.get(f"/disclosure/{rid}/letters/{letter.id}")
    seal = f"/disclosure/{rid}/letters/{letter.id}/seal"
    assert page.status_code == 200 and f'src="{seal}"' in page.text and "<!--seal-->" not in page.text
    image = await client.get(seal)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == SEAL.read_bytes()

    first = await client.get(f"/disclosure/{rid}/letters/{letter.id}.pdf")
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert "attachment" in first.headers["content-disposition"]
    text = pdf_text(first.content)
    assert "某某市示范区人民政府" in text and letter.doc_no in text and "补正后重新计算" in text
    again = await client.get(f"/disclosure/{rid}/letters/{letter.id}.pdf")
    assert again.content == first.content  # kept, not made again
    async with db.session_factory() as s:
        kept = (await s.get(Letter, letter.id)).pdf_sha256
    assert kept is not None
    # A kept file lost with var/ is made again from the letter's stored text on the next download.
    (get_settings().var_dir / "uploads" / kept[:2] / kept).unlink()
    remade = await client.get(f"/disclosure/{rid}/letters/{letter.id}.pdf")
    assert remade.status_code == 200 and pdf_text(remade.content) == text
    async with db.session_factory() as s:
        again_kept = (await s.get(Letter, letter.id)).pdf_sha256
    assert again_kept is not None and (get_settings().var_dir / "uploads" / again_kept[:2] / again_kept).exists()

    for bad in (f"{letter.id}.doc", "x.pdf", f"{letters['consultation_request'].id + 100}.pdf"):
        assert (await client.get(f"/disclosure/{rid}/letters/{bad}")).status_code == 404
    await post_form(client, "/logout", {}, token_from="/")
    await login(client, "zrzy_officer")  # another department
    assert (await client.get(f"/disclosure/{rid}/letters/{letter.id}.pdf")).status_code in (403, 404)
    assert (await client.get(seal)).status_code in (403, 404)


async def test_the_applicant_downloads_public_letters_from_track_with_the_codes(client, db):
    rid, code, letters = await _case_with_letters(db)
    status = await post_form(client, "/track", {"code": rid, "query_code": code})
    assert status.status_code == 200 and letters["correction"].doc_no in status.text
    assert "征求意见函" not in status.text  # the letter to the consulted body is not the applicant's
    token = await csrf(client, "/track")
    form = {"code": rid, "query_code": code, "_csrf_token": token}

    pdf = await client.post("/track/letter", data={**form, "letter_id": str(letters["correction"].id)})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert letters["correction"].doc_no in pdf_text(pdf.content) and "王小明" in pdf_text(pdf.content)
    hidden = await client.post("/track/letter", data={**form, "letter_id": str(letters["consultation_request"].id)})
    assert hidden.status_code == 404
    wrong = await client.post("/track/letter", data={**form, "query_code": "WRONG-CODE",
                                                     "letter_id": str(letters["correction"].id)})
    assert wrong.status_code == 400 and "查询码不正确" in wrong.text and b"%PDF" not in wrong.content


async def test_the_administrator_keeps_the_office_particulars_and_its_seal(client, db):
    await login(client, "jyj_officer")
    assert (await client.get("/admin/office")).status_code == 403
    r = await post_form(client, "/admin/office", {"agency_name": "x"}, token_from="/")
    assert r.status_code == 403
    await post_form(client, "/logout", {}, token_from="/")

    await login(client, "admin")
    page = await client.get("/admin/office")
    assert page.status_code == 200 and "某某市示范区人民政府" in page.text and "/admin/office/seal" in page.text
    form = {"agency_name": "某某县人民政府办公室", "agency_code": "某县府办公开", "address": "某某县府前路8号",
            "postal_code": "123456", "phone": "0123-7654321", "reconsideration_body": "某某县人民政府",
            "court": "某某县人民法院"}

    # A seal that is not a picture, and a postal code that is not one: refused, nothing lost.
    r = await post_form(client, "/admin/office", form, token_from="/admin/office",
                        files={"seal": ("seal.png", b"%PDF-1.4 not a picture", "image/png")})
    assert r.status_code == 400 and "电子印章只能是 PNG 或 JPEG 图片" in r.text
    assert 'data-error-for="seal"' in r.text and "某某县人民政府办公室" in r.text and "0123-7654321" in r.text
    r = await post_form(client, "/admin/office", form, token_from="/admin/office",
                        files={"seal": ("seal.txt", b"hello", "text/plain")})
    assert r.status_code == 400 and "不是 PDF、JPG 或 PNG 格式" in r.text
    r = await post_form(client, "/admin/office", {**form, "postal_code": "12345"}, token_from="/admin/office")
    assert r.status_code == 400 and "邮政编码应为6位数字" in r.text and 'data-error-for="postal_code"' in r.text
    r = await post_form(client, "/admin/office", {**form, "court": ""}, token_from="/admin/office")
    assert r.status_code == 400 and "请填写人民法院" in r.text
    async with db.session_factory() as s:
        assert (await s.get(OfficeProfile, 1)).agency_name == "某某市示范区人民政府"  # unchanged

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    r = await post_form(client, "/admin/office", form, token_from="/admin/office",
                        files={"seal": ("seal.jpg", jpeg, "image/jpeg")})
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        row = await s.get(OfficeProfile, 1)
        assert (row.agency_name, row.court, row.updated_by) == ("某某县人民政府办公室", "某某县人民法院", "admin")
        events = list((await s.execute(select(AuditEvent).where(AuditEvent.action == "office_updated"))).scalars())
    assert len(events) == 1 and "电子印章" in events[0].summary and "发文机关名称" in events[0].summary
    assert (await client.get("/admin/office/seal")).content == jpeg

    r = await post_form(client, "/admin/office", {**form, "remove_seal": "on"}, token_from="/admin/office")
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        assert (await s.get(OfficeProfile, 1)).seal_sha256 is None
    assert (await client.get("/admin/office/seal")).status_code == 404
