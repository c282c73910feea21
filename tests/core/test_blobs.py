"""What an upload is, by its contents: the signatures the blob store recognises (Word among them for
the files a reply discloses) and the refusals, whatever the name or the browser claims."""

from __future__ import annotations

import io
import zipfile

import pytest

from gongkai import blobs
from gongkai.errors import InvalidInput


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.7\n", blobs.PDF),
    (b"\x89PNG\r\n\x1a\n\x00", blobs.PNG),
    (b"\xff\xd8\xff\xe0\x00", blobs.JPEG),
    (OLE2, blobs.DOC),
    (_zip("[Content_Types].xml", "word/document.xml"), blobs.DOCX),
    (_zip("xl/workbook.xml"), None),  # a spreadsheet is a ZIP too, but no Word document
    (_zip("payload.exe"), None),
    (b"PK\x03\x04 not really a zip", None),
    (b"MZ\x90\x00", None),
    (b"<svg onload=alert(1)/>", None),
])
def test_sniff_reads_the_contents(content: bytes, expected: str | None):
    assert blobs.sniff(content) == expected


def test_applicants_id_copies_stay_pdf_or_images():
    with pytest.raises(InvalidInput, match="不是 PDF、JPG 或 PNG 格式"):
        blobs.check_upload("id.doc", OLE2)


def test_a_reply_may_carry_word_documents():
    assert blobs.check_upload("清单.docx", _zip("word/document.xml"), blobs.DOCUMENTS) == blobs.DOCX
    assert blobs.check_upload("旧文件.doc", OLE2, blobs.DOCUMENTS) == blobs.DOC
    with pytest.raises(InvalidInput, match="不是 PDF、Word（doc、docx）、JPG 或 PNG 格式"):
        blobs.check_upload("表格.docx", _zip("xl/workbook.xml"), blobs.DOCUMENTS)
    with pytest.raises(InvalidInput, match="超过 5MB"):
        blobs.check_upload("大.pdf", b"%PDF-" + b"0" * blobs.MAX_BYTES, blobs.DOCUMENTS)
