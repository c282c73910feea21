"""Hostile input through real cases (real Temporal workflows): script payloads in every text field
come back escaped in every page and letter, and no case URL or API route opens to another department."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from markupsafe import escape
from sqlmodel import select
from temporalio.workflow import _Definition

from contracts.disclosure import ACTIONS as DISCLOSURE_ACTIONS
from gongkai.clock import CST
from models import (
    DisclosureAttachment,
    DisclosureRequest,
    DisclosureReview,
    IncidentCase,
    Letter,
    Notification,
    PolicyCase,
    User,
)
from tests.web.conftest import csrf, login, post_form
from workflows.incident import IncidentWorkflow
from workflows.policy import PolicyWorkflow

PDF = b"%PDF-1.4\n% identity document\n"


def script(field: str) -> str:
    return f'<script>alert("{field}")</script>'


def img(field: str) -> str:
    return f"\"><img src=x onerror=alert('{field}')>"


def svg(field: str) -> str:  # no double quote: multipart encoders rewrite it in file names
    return f"<svg onload=alert('{field}')>"


class Payloads(dict):
    """Field name -> payload, each naming its field so a page shows which one it echoed."""

    def add(self, field: str, kind=script) -> str:
        self[field] = kind(field)
        return self[field]

    def check(self, html: str, *expected: str, where: str) -> None:
        for field, payload in self.items():
            assert payload not in html, f"raw {field} payload in {where}"
        for field in expected:
            assert str(escape(self[field])) in html, f"escaped {field} missing from {where}"


async def _act(client, path: str, action: str, data: dict | None = None) -> None:
    r = await post_form(client, f"{path}/{action}", data or {}, token_from=path)
    assert r.status_code in (302, 303), (action, r.status_code, r.text[:600])


async def _as(client, username: str) -> None:
    if 'id="who"' in (await client.get("/")).text:
        await post_form(client, "/logout", {}, token_from="/")
    assert (await login(client, username)).status_code in (302, 303)


async def test_script_payloads_come_back_escaped_in_every_page_and_letter(live, db):
    p = Payloads()
    form = {"applicant_type": "natural_person", "name": p.add("name"), "id_doc_type": "passport",
            "id_doc_number": p.add("id_doc_number", img), "phone": "13800000000",
            "email": p.add("email") + "@example.cn", "address": p.add("address", img),
            "description": p.add("description") + "申请公开招生计划", "provision_form": "electronic",
            "provision_channel": "email", "form_key": uuid.uuid4().hex}
    p["email"] = form["email"]
    p["description"] = form["description"]
    seen: dict[str, str] = {}

    # The public form: a refusal shows back what was typed, escaped.
    token = await csrf(live, "/apply")
    refused = await live.post("/apply", data={**form, "phone": "x", "_csrf_token": token},
                              files={"attachments": ("id.pdf", PDF, "application/pdf")})
    assert refused.status_code == 400
    p.check(refused.text, "name", "id_doc_number", "address", "description", where="/apply refused")
    token = await csrf(live, "/apply")
    receipt = await live.post("/apply", data={**form, "_csrf_token": token},
                              files={"attachments": (p.add("filename", svg) + ".pdf", PDF, "application/pdf")})
    assert receipt.status_code in (200, 201), receipt.text[:500]
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text).group(1)
    case = f"/disclosure/{code}"

    # Officers work it with a payload in every free-text field they fill.
    await _as(live, "gkb_officer")
    await _act(live, case, "confirm_receipt")
    await _act(live, case, "claim")
    await _act(live, case, "request_correction", {"items": p.add("correction_items", img), "period_wd": "15"})
    await _act(live, case, "receive_correction")
    await _act(live, case, "start_consultation", {"party": p.add("party"), "kind": "third_party"})
    seen["case page, consulting"] = (await live.get(case)).text
    await _act(live, case, "end_consultation", {"summary": p.add("consultation_summary", img)})
    if (await live.get(f"/api{case}")).json()["stage"] == "review":
        await _act(live, case, "accept")
    await _act(live, case, "request_extension", {"days": "10", "reason": p.add("extension_reason")})
    await _as(live, "gkb_head")
    seen["case page, extension requested"] = (await live.get(case)).text
    await _act(live, case, "decide_extension", {"approve": "true", "comment": p.add("extension_comment", img)})
    await _as(live, "duban")
    await _act(live, case, "supervise", {"note": p.add("supervision_note")})
    seen["board"] = (await live.get("/board")).text
    await _as(live, "gkb_officer")
    draft = {"disposition": "GRANTED", "reason": "granted", "text": p.add("reply_text", img)}
    await _act(live, case, "draft_reply", draft)
    await _as(live, "gkb_head")
    seen["case page, sign-off"] = (await live.get(case)).text
    await _act(live, case, "sign_off", {"approve": "false", "comment": p.add("sign_off_comment")})
    await _as(live, "gkb_officer")
    seen["case page, returned"] = (await live.get(case)).text
    await _act(live, case, "draft_reply", draft)
    await _as(live, "gkb_head")
    await _act(live, case, "sign_off", {"approve": "true", "comment": ""})
    await _as(live, "gkb_officer")
    await _act(live, case, "send_reply", {"channel": "email"})
    await _act(live, case, "record_review", {"kind": "reconsideration", "outcome": "pending",
                                             "note": p.add("review_note", img)})

    page = (await live.get(case)).text
    seen["case page, replied"] = page
    seen["inbox"] = (await live.get("/inbox", params={"q": p["name"]})).text  # the search term is echoed too
    seen["home"] = (await live.get("/")).text
    letters = dict(re.findall(rf'href="/disclosure/{code}/letters/(\d+)" data-letter="([^"]+)"', page))
    assert {"correction", "consultation", "extension", "reply_GRANTED"} <= set(letters.values()), letters
    for letter_id, kind in letters.items():
        seen[f"letter {kind}"] = (await live.get(f"{case}/letters/{letter_id}")).text
    await post_form(live, "/logout", {}, token_from="/")
    seen["track status"] = (await post_form(live, "/track", {"code": code, "query_code": query})).text
    seen["track refused"] = (await post_form(live, "/track", {"code": p.add("tracking_code"), "query_code": "x"})).text

    # Stored as typed, shown escaped.
    async with db.session_factory() as s:
        row = await s.get(DisclosureRequest, code)
        bodies = {le.kind: le.body for le in (await s.execute(select(Letter).where(Letter.case_id == code))).scalars()}
        review = (await s.execute(select(DisclosureReview).where(DisclosureReview.request_id == code))).scalar_one()
    assert row.applicant_name == p["name"] and row.description == p["description"]
    for where, html in seen.items():
        p.check(html, where=where)
    p.check(seen["case page, replied"], "name", "id_doc_number", "email", "address", "description", "filename",
            "extension_reason", where="case page")
    p.check(seen["case page, extension requested"], "extension_reason", where="case page for the office head")
    p.check(seen["case page, sign-off"], "reply_text", where="sign-off form")
    p.check(seen["case page, returned"], "sign_off_comment", "reply_text", where="returned draft")
    p.check(seen["inbox"], "name", where="inbox search")
    p.check(seen["track refused"], "tracking_code", where="/track refused")
    for kind in ("correction", "consultation", "extension", "reply_GRANTED"):
        p.check(seen[f"letter {kind}"], "name", where=f"letter {kind}")
        p.check(bodies[kind], "name", where=f"stored letter {kind}")
    p.check(seen["letter correction"], "description", "correction_items", where="correction letter")
    p.check(seen["letter extension"], "extension_reason", where="extension letter")
    p.check(seen["letter reply_GRANTED"], "description", "reply_text", where="reply letter")
    p.check(seen["track status"], "name", "correction_items", "reply_text", where="applicant's status page")
    timeline = "".join(seen.values())
    for field in ("party", "consultation_summary", "extension_comment", "supervision_note"):
        assert str(escape(p[field])) in timeline, f"{field} was never shown"
    assert review.note == p["review_note"]  # kept for the annual report, shown on no page


async def test_policy_drafting_fields_come_back_escaped(live, db):
    p = Payloads()
    await _as(live, "jyj_officer")
    r = await post_form(live, "/policy/new", {"title": p.add("title"), "issuance": "department",
                                              "doc_number": p.add("doc_number", img), "form_key": uuid.uuid4().hex},
                        token_from="/policy")
    assert r.status_code in (302, 303), r.text[:500]
    path = r.headers["location"]
    draft = {"document_text": p.add("document_text"), "plan_text": p.add("plan_text", img), "materials": ["qa"],
             "materials_text": p.add("materials_text"), "disclosure_mode": "proactive", "disclosure_scope": "full",
             "reasons": p.add("reasons", img), "channels": p.add("channels", img)}
    await _act(live, path, "update_draft", draft)
    seen = {"policy case, drafting": (await live.get(path)).text}
    await _act(live, path, "submit")
    seen["policy index"] = (await live.get("/policy")).text
    await _as(live, "jyj_head")
    seen["sign-off queue"] = (await live.get("/policy/queue")).text
    await _act(live, path, "sign", {"version": "1", "approve": "false", "comment": p.add("return_comment")})
    await _as(live, "jyj_officer")
    seen["policy case, returned"] = (await live.get(path)).text
    async with db.session_factory() as s:
        row = await s.get(PolicyCase, path.rsplit("/", 1)[1])
    assert row.title == p["title"] and row.state["draft"]["document_text"] == p["document_text"]
    for where, html in seen.items():
        p.check(html, where=where)
    p.check(seen["policy case, drafting"], "title", "document_text", "plan_text", "materials_text", "reasons",
            "channels", where="drafting page")
    p.check(seen["policy index"], "title", where="policy index")
    p.check(seen["sign-off queue"], "title", "document_text", "plan_text", "materials_text", where="sign-off queue")
    p.check(seen["policy case, returned"], "return_comment", where="returned policy")


# -- IDOR -------------------------------------------------------------------------------------------


async def _department_a_case_with_a_letter_and_a_file(live, db) -> str:
    await _as(live, "jyj_officer")
    async with db.session_factory() as s:
        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    form = {"applicant_type": "natural_person", "name": "教育局申请人", "id_doc_type": "resident_id",
            "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "a@example.cn", "address": "",
            "description": "申请公开本区2025年义务教育学校招生计划", "provision_form": "electronic",
            "provision_channel": "email", "form_key": uuid.uuid4().hex, "intake_channel": "in_person",
            "received_date": "2026-01-05", "department_id": str(me.department_id)}
    token = await csrf(live, "/disclosure/new")
    r = await live.post("/disclosure/new", data={**form, "_csrf_token": token}, follow_redirects=False,
                        files={"attachments": ("id.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text[:500]
    code = r.headers["location"].split("/")[2].split("?")[0]
    await _act(live, f"/disclosure/{code}", "claim")
    await _act(live, f"/disclosure/{code}", "start_consultation", {"party": "某公司", "kind": "third_party"})
    return code


async def test_no_case_route_opens_to_another_department(live, db):
    """Every route of the app with a case, letter, file or notification in its path, every method and
    every action, as users of another department: 403 or 404, and nothing changes."""
    code = await _department_a_case_with_a_letter_and_a_file(live, db)
    r = await post_form(live, "/policy/new", {"title": "教育局政策", "issuance": "department",
                                              "form_key": uuid.uuid4().hex}, token_from="/policy")
    policy = r.headers["location"].rsplit("/", 1)[1]
    occurred = (datetime.now(CST) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    r = await post_form(live, "/incidents/new", {"title": "教育局突发事件", "occurred_at": occurred, "location": "某校",
                                                 "grade": "major", "source": "media", "form_key": uuid.uuid4().hex},
                        token_from="/incidents/new")
    incident = r.headers["location"].rsplit("/", 1)[1]
    async with db.session_factory() as s:
        letter = (await s.execute(select(Letter).where(Letter.case_id == code))).scalars().first()
        file = (await s.execute(select(DisclosureAttachment).where(DisclosureAttachment.request_id == code))
                ).scalars().first()
        owner = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
        note = Notification(key=f"idor/{uuid.uuid4()}", user_id=owner.id, case_id=code, title="提醒", body="到期提醒")
        s.add(note)
        await s.commit()
        versions = ((await s.get(DisclosureRequest, code)).version, (await s.get(PolicyCase, policy)).version,
                    (await s.get(IncidentCase, incident)).version)
        note_id = note.id
    assert letter is not None and file is not None

    policy_actions = sorted(_Definition.must_from_class(PolicyWorkflow).updates)
    incident_actions = sorted(_Definition.must_from_class(IncidentWorkflow).updates)
    async with db.session_factory() as s:
        dept = (await s.get(User, owner.id)).department_id
    values = {"request_id": [code], "case_id": [policy], "letter_id": [str(letter.id)], "file_id": [str(file.id)],
              "note_id": [str(note_id)], "account_id": [str(owner.id)], "dept_id": [str(dept)],
              "number": ["1"]}  # an incident's release (its screenshot)
    values.update({"link_id": ["1"], "token": ["x" * 43]})  # wall screens: admin-only; a token nobody made
    values.update({"channel_id": ["1"]})  # a department's group robot (消息渠道): admin-only
    values.update({"name": ["reply"]})  # a time-limit rule (时限规则): admin-only, not a case
    values.update({"entry_id": ["1"]})  # a 公开目录 entry: kept by administrators and the office head
    not_cases = {"file_path", "path", "year"}  # static files, the schema pages and the calendar's years
    all_routes = live._transport.app.routes
    unknown = {name for r in all_routes for name in r.path_parameters} - set(values) - not_cases - {"action"}
    assert not unknown, f"new path parameters: say here whose they are ({unknown})"
    routes = [r for r in all_routes if set(r.path_parameters) - not_cases]
    assert len(routes) >= 11

    def urls(route) -> list[str]:
        is_incident = route.path_format.startswith(("/incidents", "/api/incidents"))
        actions = sorted(DISCLOSURE_ACTIONS.actions) if "request_id" in route.path_parameters else \
            incident_actions if is_incident else policy_actions
        ids = {**{k: v[0] for k, v in values.items()}, **({"case_id": incident} if is_incident else {})}
        out = [route.path_format.format(**{k: ids[k] for k in route.path_parameters if k != "action"},
                                        **({"action": a} if "action" in route.path_parameters else {}))
               for a in (actions if "action" in route.path_parameters else [None])]
        return out

    checked = 0
    for username in ("zrzy_officer", "zrzy_head", "wjw_officer"):
        await _as(live, username)
        token = await csrf(live, "/")
        for route in routes:
            for url in urls(route):
                for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                    if method == "GET":
                        response = await live.get(url)
                    elif url.startswith("/api/"):
                        response = await live.post(url, json={}, headers={"x-csrftoken": token})
                    else:
                        response = await live.post(url, data={"_csrf_token": token, "approve": "true"},
                                                   follow_redirects=False)
                    checked += 1
                    if route.path_format in ("/notifications/{note_id}/read", "/notifications/{note_id}/read-matter"):
                        assert response.status_code in (302, 303, 403, 404), (username, url)
                        continue  # answers like marking an unknown note; the note is checked below
                    if route.path_format.startswith("/track/"):  # the applicant's: opened by the code pair
                        assert response.status_code == 400 and "受理编号或查询码不正确" in response.text, url
                        continue
                    assert response.status_code in (403, 404), (username, method, url, response.status_code)
                    assert "教育局申请人" not in response.text and "PDF" not in response.text, url
                    assert "教育局突发事件" not in response.text, url
                    if url.startswith("/api/"):
                        assert response.json()["error"] in {"permission_denied", "not_found"}
    assert checked > 2 * (len(DISCLOSURE_ACTIONS.actions) + len(policy_actions) + len(incident_actions))
    async with db.session_factory() as s:
        assert ((await s.get(DisclosureRequest, code)).version, (await s.get(PolicyCase, policy)).version,
                (await s.get(IncidentCase, incident)).version) == versions
        assert (await s.get(Notification, note_id)).read_at is None
    # The owner still gets in: the refusals were about the department, not a broken case.
    await _as(live, "jyj_officer")
    for url in (f"/disclosure/{code}", f"/api/disclosure/{code}", f"/disclosure/{code}/letters/{letter.id}",
                f"/disclosure/{code}/files/{file.id}", f"/policy/{policy}", f"/incidents/{incident}",
                f"/api/incidents/{incident}"):
        assert (await live.get(url)).status_code == 200, url
