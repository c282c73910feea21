"""A request and its view as letters read them, without a database, and the text of a PDF."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from contracts.disclosure import Attachment, DisclosureView, Extension, ReplyDraft
from gongkai.disclosure import Stage
from gongkai.office import Office
from models import DisclosureRequest

OFFICE = Office("某某市示范区人民政府", "示区府公开", "某某市示范区人民路1号", "100000", "010-12345678",
                "某某市人民政府", "某某市中级人民法院", None)
ISSUED = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 二〇二六年十二月一日, Beijing time
SEAL = Path(__file__).resolve().parents[2] / "shell" / "data" / "demo-seal.png"


def request(**changes) -> DisclosureRequest:
    row = DisclosureRequest(
        id="DR-2026-000012", year=2026, idempotency_key="k", query_code_hash="", stage="review",
        intake_channel="in_person", submitted_at=datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
        received_date=date(2026, 3, 2),
        applicant_type="natural_person", applicant_name="王小明", id_doc_type="resident_id",
        id_doc_number="110101199001011234", description="本区2025年义务教育学校招生计划", provision_form="electronic",
        provision_channel="email", department_id=1, correction_items="请写明所需信息的年份\n请写明所需信息的学校名称",
        correction_due=date(2026, 3, 13),
        reply_text="经查，本区2025年义务教育学校招生计划已于2025年5月公开。\n现将招生计划提供给您，请查收。")
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def view(**changes) -> DisclosureView:
    base = DisclosureView(stage=Stage.REVIEW, department_id=1, consultation_party="某某科技有限公司",
                          consultation_kind="third_party", extension=Extension("approved", 15, "需调取档案", ""),
                          draft=ReplyDraft("GRANTED", "granted", ""),
                          reply_files=[Attachment("2025年义务教育招生计划.pdf", "application/pdf", 10, "a" * 64)])
    return replace(base, **changes)


def pdf_text(content: bytes) -> str:
    """The PDF's text with the line breaks pdftotext puts in taken out (a name may wrap)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", f.name, "-"], check=True, capture_output=True).stdout
    return re.sub(r"\s+", "", text.decode())


def pdf_fonts(content: bytes) -> list[list[str]]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        out = subprocess.run(["pdffonts", f.name], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def pdf_images(content: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        out = subprocess.run(["pdfimages", "-list", f.name], check=True, capture_output=True, text=True).stdout
    return len(out.splitlines()) - 2
