"""Every kind of letter, rendered as the office issues it and printed to PDF, says who issues it
(agency, 文号), to whom, on what legal basis and, for decisions, where to seek redress; dates are
written in Chinese numerals; the fonts travel inside the file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from gongkai.disclosure import DISPOSITIONS
from gongkai.letter_pdf import letter_pdf
from gongkai.letters import chinese_date, doc_number, last_day, paragraphs, render_disclosure_letter, with_seal
from tests.letters.support import ISSUED, OFFICE, SEAL, pdf_fonts, pdf_images, pdf_text, request, view

LEGAL_BASIS = re.compile(r"条例》?第[一二三四五六七八九十]+条")


@pytest.mark.parametrize(("day", "written"), [
    (date(2026, 12, 1), "二〇二六年十二月一日"), (date(2026, 3, 2), "二〇二六年三月二日"),
    (date(2030, 10, 10), "二〇三〇年十月十日"), (date(2025, 11, 20), "二〇二五年十一月二十日"),
    (date(2027, 1, 31), "二〇二七年一月三十一日"), (date(2100, 2, 19), "二一〇〇年二月十九日"),
])
def test_dates_are_written_in_chinese_numerals(day, written):
    assert chinese_date(day) == written


def test_the_document_number_follows_gbt_9704():
    assert doc_number("示区府公开", "reply_DENIED", 2026, 12) == "示区府公开答〔2026〕12号"
    assert doc_number("示区府公开", "correction", 2027, 1) == "示区府公开补〔2027〕1号"
    assert doc_number("示区府公开", "consultation_request", 2026, 3) == "示区府公开征〔2026〕3号"


def test_the_officers_paragraphs_and_the_last_day_of_a_due_instant():
    assert paragraphs("第一段\n\n  第二段  \r\n第三段") == ["第一段", "第二段", "第三段"]
    assert last_day(datetime(2026, 3, 30, 16, 0, tzinfo=UTC)) == date(2026, 3, 30)  # 24:00 Beijing time


def _letter(kind: str, *, row=None, v=None, due_at=None, seal=False) -> str:
    return render_disclosure_letter(kind, f"标题{kind}", row or request(), v or view(), office=OFFICE,
                                    doc_no=doc_number(OFFICE.agency_code, kind, 2026, 7), due_at=due_at,
                                    now=ISSUED, seal=seal)


CASES = {
    "receipt": {}, "correction": {}, "consultation": {}, "consultation_request": {}, "extension": {},
    "withdrawn": {}, "abandoned": {},
    **{f"reply_{d}": {} for d in DISPOSITIONS},
}
REASONS = {"GRANTED": "granted", "PARTIAL": "partial", "DENIED": "third_party_rights", "UNABLE": "not_held",
           "NOT_PROCESSED": "repeat", "OTHER": "fee_unpaid"}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_letter_prints_as_an_official_document(kind):
    row = request()
    if kind.startswith("reply_"):
        row.disposition, row.reason = kind.removeprefix("reply_"), REASONS[kind.removeprefix("reply_")]
    html = _letter(kind, row=row, due_at=datetime(2026, 4, 20, 16, 0, tzinfo=UTC))
    text = pdf_text(letter_pdf(html, None, kind))
    assert OFFICE.agency_name in text
    assert doc_number(OFFICE.agency_code, kind, 2026, 7) in text
    assert ("某某科技有限公司：" if kind == "consultation_request" else "王小明：") in text
    assert LEGAL_BASIS.search(text), text
    assert "二〇二六年十二月一日" in text and text.count(OFFICE.agency_name) >= 2  # 版头 and 署名
    assert "010-12345678" in text
    if kind.startswith("reply_") or kind == "abandoned":
        assert "向某某市人民政府申请行政复议" in text and "向某某市中级人民法院提起行政诉讼" in text
    if kind != "consultation_request":  # the consulted body is not told who asked
        assert "DR-2026-000012" in text
    else:
        assert "王小明" not in text and "15个工作日" in text and "第三十二条" in text


def test_what_each_letter_says_in_particular():
    assert "附件" not in _letter("correction")  # the disclosed files go with the reply only
    correction = pdf_text(letter_pdf(_letter("correction")))
    assert "补正后重新计算" in correction and "二〇二六年三月十三日前" in correction
    assert "请写明所需信息的年份" in correction and "请写明所需信息的学校名称" in correction

    extension = pdf_text(letter_pdf(_letter("extension", due_at=datetime(2026, 4, 20, 16, 0, tzinfo=UTC))))
    assert "延长15个工作日" in extension and "暂计至二〇二六年四月二十日" in extension
    assert "按现行工作日安排计算" in extension and "相应顺延" in extension

    told = _letter("consultation")
    assert "征求第三方的意见" in told and "第三方（或其他机关）" not in told and "某某科技有限公司" not in told
    other = _letter("consultation", v=view(consultation_kind="agency", consultation_party="区财政局"))
    assert "征求其他机关的意见" in other and "第三十四条" in other and "区财政局" not in other
    asked = _letter("consultation_request", v=view(consultation_kind="agency", consultation_party="区财政局"))
    assert "区财政局：" in asked and "视为同意公开" in asked

    reply = _letter("reply_GRANTED", row=request(disposition="GRANTED", reason="granted"))
    # The officer's paragraphs stay paragraphs; the disclosed files are listed as attachments.
    assert "<p>经查，本区2025年义务教育学校招生计划已于2025年5月公开。</p>" in reply
    assert "<p>现将招生计划提供给您，请查收。</p>" in reply
    assert "附件：" in reply and "1. 2025年义务教育招生计划.pdf" in reply
    assert "第三十六条第（二）项" in reply

    online = _letter("receipt", row=request(received_date=None, intake_channel="online"))
    assert "二〇二六年三月二日收到您通过互联网提交" in online and "双方确认之日" in online


def test_a_hostile_case_cannot_write_html_into_a_letter():
    html = _letter("correction", row=request(applicant_name="<b>x</b>", correction_items="<script>alert(1)</script>"))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>x</b>" not in html


def test_the_pdf_embeds_its_fonts_and_carries_the_seal():
    content = letter_pdf(_letter("reply_GRANTED", seal=True), SEAL.read_bytes())
    fonts = pdf_fonts(content)
    assert fonts and all("Noto" in f[0] for f in fonts)
    assert all(f[-5] == "yes" for f in fonts), fonts  # the "emb" column
    assert pdf_images(content) >= 1
    unsealed = letter_pdf(_letter("reply_GRANTED", seal=True), None)
    assert pdf_images(unsealed) == 0 and "<!--seal-->" in _letter("reply_GRANTED", seal=True)
    assert 'src="/x?a=1&amp;b"' in with_seal(_letter("withdrawn", seal=True), "/x?a=1&b")
