"""The reply's files through the pages: the officer attaches them to the draft (checked by their
contents), the sign-off sees them, a returned draft keeps them and a redraft replaces them; once the
reply is sent the applicant downloads them from /track with the query code, each download recorded."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from urllib.parse import quote

from sqlmodel import select

from models import AuditEvent, DisclosureAttachment, DisclosureRequest
from tests.web.conftest import login, post_form
from tests.web.test_disclosure_pages import _apply, _form

PLAN = b"%PDF-1.4\n% 2026 enrolment plan\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _zip_not_word() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("payload.exe", "MZ")
    return out.getvalue()


async def _reply_rows(db, code: str) -> list[DisclosureAttachment]:
    async with db.session_factory() as s:
        return list((await s.execute(select(DisclosureAttachment).where(
            DisclosureAttachment.request_id == code, DisclosureAttachment.purpose == "reply")
            .order_by(DisclosureAttachment.id))).scalars())


async def _stage(db, code: str) -> str:
    async with db.session_factory() as s:
        return (await s.get(DisclosureRequest, code)).stage


async def _as(live, username: str) -> None:
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, username)


async def test_reply_files_from_the_draft_to_the_applicants_download(live, db):
    receipt = await _apply(live, _form())
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)
    await login(live, "gkb_officer")
    page = f"/disclosure/{code}"
    for action in ("confirm_receipt", "claim", "accept"):
        assert (await post_form(live, f"{page}/{action}", {}, token_from=page)).status_code in (302, 303)
    shown = await live.get(page)
    assert 'enctype="multipart/form-data"' in shown.text and 'name="reply_files"' in shown.text

    draft = {"disposition": "GRANTED", "reason": "granted", "text": "予以公开，见附件。"}
    refused = await post_form(live, f"{page}/draft_reply", draft, token_from=page,
                              files=[("reply_files", ("计划.zip", _zip_not_word(), "application/zip"))])
    assert refused.status_code == 400 and "不是 PDF、Word（doc、docx）、JPG 或 PNG 格式" in refused.text
    assert 'data-error-for="reply_files"' in refused.text and "予以公开，见附件。" in refused.text  # typed text kept
    assert await _stage(db, code) == "handling" and await _reply_rows(db, code) == []

    files = [("reply_files", ("2026年招生计划.pdf", PLAN, "application/pdf")),
             ("reply_files", ("经费预算.docx", _docx(), "application/octet-stream"))]
    r = await post_form(live, f"{page}/draft_reply", draft, token_from=page, files=files)
    assert r.status_code in (302, 303), r.text[:500]
    rows = await _reply_rows(db, code)
    assert [(f.filename, f.content_type) for f in rows] == [
        ("2026年招生计划.pdf", "application/pdf"),
        ("经费预算.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]

    # The office head sees them when signing off, and returns the draft: it keeps its files.
    await _as(live, "gkb_head")
    shown = await live.get(page)
    assert 'id="reply-files"' in shown.text and "2026年招生计划.pdf" in shown.text and "经费预算.docx" in shown.text
    officer_view = await live.get(f"{page}/files/{rows[0].id}")
    assert officer_view.status_code == 200 and officer_view.content == PLAN
    returned = {"approve": "false", "comment": "预算不属于申请范围"}
    r = await post_form(live, f"{page}/sign_off", returned, token_from=page)
    assert r.status_code in (302, 303)
    await _as(live, "gkb_officer")
    shown = await live.get(page)
    assert shown.text.count('name="keep_file"') == 2 and "2026年招生计划.pdf" in shown.text

    # The redraft keeps the plan, drops the budget and adds a scan.
    keep = hashlib.sha256(PLAN).hexdigest()
    r = await post_form(live, f"{page}/draft_reply", {**draft, "keep_file": keep}, token_from=page,
                        files=[("reply_files", ("附图.png", PNG, "image/png"))])
    assert r.status_code in (302, 303), r.text[:500]
    rows = await _reply_rows(db, code)
    assert [f.filename for f in rows] == ["2026年招生计划.pdf", "附图.png"]

    await _as(live, "gkb_head")
    assert (await post_form(live, f"{page}/sign_off", {"approve": "true"}, token_from=page)).status_code in (302, 303)
    await _as(live, "gkb_officer")
    # Signed but not sent: not the applicant's yet.
    await post_form(live, "/logout", {}, token_from="/")
    status = await post_form(live, "/track", {"code": code, "query_code": query})
    assert status.status_code == 200 and 'id="reply-downloads"' not in status.text
    pair = {"code": code, "query_code": query}
    early = await post_form(live, f"/track/files/{rows[0].id}", pair, token_from="/track")
    assert early.status_code == 404

    await login(live, "gkb_officer")
    sent = await post_form(live, f"{page}/send_reply", {"channel": "email"}, token_from=page)
    assert sent.status_code in (302, 303)
    await post_form(live, "/logout", {}, token_from="/")

    status = await post_form(live, "/track", {"code": code, "query_code": query})
    assert 'id="reply-downloads"' in status.text and "2026年招生计划.pdf" in status.text and "附图.png" in status.text
    got = await post_form(live, f"/track/files/{rows[0].id}", {"code": code, "query_code": query},
                          token_from="/track")
    assert got.status_code == 200 and got.content == PLAN
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote('2026年招生计划.pdf')}" in disposition
    assert 'filename="2026_____.pdf"' in disposition  # the plain-ASCII name for clients without RFC 5987

    # Only the reply's files, only with the right code.
    async with db.session_factory() as s:
        id_copy = (await s.execute(select(DisclosureAttachment).where(
            DisclosureAttachment.request_id == code, DisclosureAttachment.purpose == "application"))).scalar_one()
    assert (await post_form(live, f"/track/files/{id_copy.id}", {"code": code, "query_code": query},
                            token_from="/track")).status_code == 404
    wrong = await post_form(live, f"/track/files/{rows[1].id}", {"code": code, "query_code": "WRONGWRONG12"},
                            token_from="/track")
    assert wrong.status_code == 400 and wrong.content != PNG
    async with db.session_factory() as s:
        downloads = list((await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == code, AuditEvent.action == "reply_file_downloaded"))).scalars())
    assert [(e.actor, e.detail["file_id"]) for e in downloads] == [("applicant", rows[0].id)]
