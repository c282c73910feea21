"""Drafts kept server-side (web/drafts.py), files kept across a refused /apply (web/disclosure/kept.py),
and where a form posted after its session ended leads (web/returns.py)."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from gongkai import blobs
from models import FormDraft
from tests.web.conftest import csrf, login, post_form
from web.disclosure import kept

PDF = b"%PDF-1.4\n% scanned identity card\n"


async def _save(client, key: str, fields: dict):
    token = await csrf(client, "/")
    return await client.post("/drafts", json={"key": key, "fields": fields}, headers={"x-csrftoken": token})


async def test_a_draft_is_kept_sealed_for_its_author_only_and_discarded(client, db):
    await login(client, "jyj_officer")
    saved = await _save(client, "policy:PD-2026-000001",
                        {"document_text": "实施意见全文", "materials": ["qa"], "_csrf_token": "x", "version": 3})
    assert saved.status_code == 200 and saved.json()["saved_at"]
    read = (await client.get("/drafts", params={"key": "policy:PD-2026-000001"})).json()["draft"]
    assert read["fields"] == {"document_text": "实施意见全文", "materials": ["qa"]}  # no token, no number
    assert (await client.get("/drafts/keys")).json() == {"keys": ["policy:PD-2026-000001"]}
    async with db.session_factory() as s:
        row = (await s.execute(select(FormDraft))).scalar_one()
    assert "实施意见全文".encode() not in row.data

    await post_form(client, "/logout", {}, token_from="/")
    await login(client, "zrzy_officer")  # someone else: nothing to read
    assert (await client.get("/drafts", params={"key": "policy:PD-2026-000001"})).json() == {"draft": None}
    assert (await client.get("/drafts/keys")).json() == {"keys": []}
    await post_form(client, "/logout", {}, token_from="/")

    await login(client, "jyj_officer")
    token = await csrf(client, "/")
    gone = await client.post("/drafts/discard", json={"key": "policy:PD-2026-000001"}, headers={"x-csrftoken": token})
    assert gone.status_code == 200
    assert (await client.get("/drafts", params={"key": "policy:PD-2026-000001"})).json() == {"draft": None}


async def test_a_bad_key_or_a_draft_too_long_is_refused(client):
    await login(client, "jyj_officer")
    bad = await _save(client, "../etc:passwd", {"text": "x"})
    assert bad.status_code == 400
    long = await _save(client, "policy:PD-2026-000001", {f"t{i}": "字" * 20000 for i in range(5)})
    assert long.status_code == 400
    assert (await client.get("/drafts", params={"key": "policy:PD-2026-000001"}, follow_redirects=False)
            ).json() == {"draft": None}


async def test_drafts_need_a_session(client):
    response = await client.get("/drafts", params={"key": "policy:PD-2026-000001"}, follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/login")


async def test_a_form_posted_after_its_session_ended_returns_to_its_page_after_login(client):
    await login(client, "jyj_officer")
    token = await csrf(client, "/policy")
    client.cookies.clear()  # the session has ended
    response = await client.post("/policy/PD-2026-000001/update_draft",
                                 data={"document_text": "全文", "_csrf_token": token},
                                 headers={"referer": "http://testserver.local/policy/PD-2026-000001"},
                                 follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/login?next=/policy/PD-2026-000001"
    # Without a Referer: the action's parent, the case page; never the POST's own address.
    response = await client.post("/policy/PD-2026-000001/update_draft",
                                 data={"document_text": "全文", "_csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/login?next=/policy/PD-2026-000001"


async def test_a_stale_public_form_is_still_refused_not_sent_to_login(client):
    response = await client.post("/apply", data={"_csrf_token": "stale"}, follow_redirects=False)
    assert response.status_code == 403


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    monkeypatch.setattr(blobs, "_root", lambda: tmp_path / "uploads")


def _form(**extra) -> dict:
    return {"applicant_type": "natural_person", "name": "王小明", "id_doc_type": "resident_id",
            "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "wang@example.cn",
            "address": "", "description": "申请公开本区2025年义务教育学校招生计划及其制定依据",
            "provision_form": "electronic", "provision_channel": "email", "form_key": uuid.uuid4().hex, **extra}


async def test_apply_shows_every_error_beside_its_field_and_keeps_the_file(client, uploads):
    token = await csrf(client, "/apply")
    refused = await client.post("/apply", data={**_form(phone="1", description="短"), "_csrf_token": token},
                                files={"attachments": ("证件.pdf", PDF, "application/pdf")})
    assert refused.status_code == 400
    assert 'data-error-for="phone"' in refused.text and 'data-error-for="description"' in refused.text
    assert "已上传：证件.pdf（无需重新选择）" in refused.text and "移除" in refused.text


def test_a_kept_token_opens_only_as_signed_and_within_the_day(uploads):
    [it] = kept.keep([("证件.pdf", PDF)])
    assert kept.restore({"kept": it["token"]}) == [("证件.pdf", PDF)]
    assert kept.restore({"kept": it["token"], "kept_remove": it["token"]}) == []  # removed by the person
    digest, name, at, mac = it["token"].split(".")
    assert kept.restore({"kept": f"{'0' * 64}.{name}.{at}.{mac}"}) == []  # another file: signature fails
    old = kept.token(digest, "证件.pdf", at=int(time.time()) - kept.MAX_AGE - 1)
    assert kept.restore({"kept": old}) == []


async def test_submitting_the_drafting_form_saves_what_was_typed_first(live, db):
    from models import AuditEvent, PolicyCase
    from tests.web.test_policy_pages import DRAFT, _new_policy

    await login(live, "jyj_officer")
    cid = await _new_policy(live, "department")
    refused = await post_form(live, f"/policy/{cid}/submit", {**DRAFT, "plan_text": ""}, token_from=f"/policy/{cid}")
    assert refused.status_code == 400 and "解读方案" in refused.text
    assert DRAFT["document_text"] in refused.text  # saved, and shown again
    taken = await post_form(live, f"/policy/{cid}/submit", DRAFT, token_from=f"/policy/{cid}")
    assert taken.status_code in (302, 303)
    async with db.session_factory() as s:
        row = await s.get(PolicyCase, cid)
        saves = (await s.execute(select(AuditEvent).where(AuditEvent.case_id == cid,
                                                          AuditEvent.action == "draft_updated"))).scalars().all()
    assert row is not None and row.stage == "sign_off" and row.document_version == 1
    assert row.state["draft"]["document_text"] == DRAFT["document_text"] and len(saves) == 2
