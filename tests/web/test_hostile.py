"""Hostile input on the forms: CSRF, uploads, SQL metacharacters in searches, password guessing.

Script payloads, IDOR and the schemathesis run are in test_hostile_cases.py and test_hostile_api.py."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from gongkai import blobs
from models import (
    AuditEvent,
    CalendarVersion,
    Department,
    DisclosureAttachment,
    DisclosureRequest,
    IntakeKey,
    Task,
    Throttle,
    User,
)
from tests.web.conftest import csrf, login, post_form
from web.throttle import LOGIN_FREE

PDF = b"%PDF-1.4\n% identity document\n"
SQL_PAYLOADS = ["' OR 1=1 --", "%", "_", "\\", '"; DROP TABLE task; --', "%' --", "' UNION SELECT * FROM account --",
                "DR-2026-%", "王_明%"]


def _form(**extra) -> dict:
    return {"applicant_type": "natural_person", "name": "王小明", "id_doc_type": "resident_id",
            "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "wang@example.cn",
            "address": "", "description": "申请公开本区2025年义务教育学校招生计划及其制定依据",
            "provision_form": "electronic", "provision_channel": "email", "form_key": uuid.uuid4().hex, **extra}


async def _apply(client, form: dict, files):
    token = await csrf(client, "/apply")
    return await client.post("/apply", data={**form, "_csrf_token": token}, files=files, follow_redirects=False)


async def _count(db, model) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


def _url(route, values: dict[str, str]) -> str:
    return route.path_format.format(**{name: values.get(name, "1") for name in route.path_parameters})


# -- CSRF -------------------------------------------------------------------------------------------


async def test_every_post_route_refuses_a_request_without_its_csrf_token(client, db):
    """Enumerated from the route table, so a new form is covered the day it is added."""
    assert (await login(client, "admin")).status_code in (302, 303)
    values = {"request_id": "DR-2026-000001", "action": "claim", "case_id": "PD-2026-000001"}
    posts = [r for r in client.app.routes if "POST" in getattr(r, "methods", ())]
    assert len(posts) >= 15  # the forms are all there: login, apply, track, admin, disclosure, policy …
    departments, events = await _count(db, Department), await _count(db, AuditEvent)
    for route in posts:
        url = _url(route, values)
        response = await client.post(url, data={"name": "x", "code": "CSRF1", "kind": "department"})
        if url.startswith("/codec/"):
            # The Temporal UI's codec endpoint takes no token: it takes JSON only, which a page elsewhere
            # cannot send without a CORS preflight, granted to the UI's origin alone (web/codec.py).
            assert response.status_code == 400, (url, response.status_code)
            continue
        assert response.status_code == 403, (url, response.status_code)
        if url.startswith("/api/"):
            assert response.json()["error"] == "http_error" and "安全令牌" in response.json()["message"]
        else:
            assert "安全令牌" in response.text and "Traceback" not in response.text
        # Nor does a tampered token.
        token = await csrf(client, "/")
        tampered = await client.post(url, data={"_csrf_token": token[:-2] + "xx"},
                                     headers={"x-csrftoken": token[::-1]})
        assert tampered.status_code == 403, url
    assert await _count(db, Department) == departments and await _count(db, AuditEvent) == events


async def test_login_and_apply_without_a_token_do_nothing(client, db):
    await csrf(client, "/login")  # the CSRF cookie is set, only the form field is missing
    response = await client.post("/login", data={"username": "admin", "password": "gongkai2026"})
    assert response.status_code == 403 and "安全令牌" in response.text
    assert "login-form" in (await client.get("/")).text  # not logged in
    response = await client.post("/apply", data=_form(), files={"attachments": ("id.pdf", PDF, "application/pdf")})
    assert response.status_code == 403 and "安全令牌" in response.text
    assert await _count(db, DisclosureRequest) == 0 and await _count(db, IntakeKey) == 0
    # JSON under /api says it in JSON; the header is the token there.
    await login(client, "gkb_officer")
    api = await client.post("/api/disclosure/DR-2026-000001/claim", json={})
    assert api.status_code == 403 and "安全令牌" in api.json()["message"]


# -- uploads ----------------------------------------------------------------------------------------


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setattr(blobs, "_root", lambda: root)
    return root


def _stored(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


REFUSED_UPLOADS = [
    ({"attachments": ("id.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf")}, "不是 PDF、JPG 或 PNG 格式"),
    ({"attachments": ("id.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")}, "不是 PDF、JPG 或 PNG"),
    ({"attachments": ("id.svg", b'<svg onload="alert(1)"/>', "image/svg+xml")}, "不是 PDF、JPG 或 PNG"),
    ({"attachments": ("id.pdf", b"", "application/pdf")}, "是空文件"),
    ({"attachments": ("id.pdf", PDF + b"0" * blobs.MAX_BYTES, "application/pdf")}, "超过 5MB，请压缩后重新上传"),
    ([("attachments", (f"id{i}.pdf", PDF + bytes([i]), "application/pdf")) for i in range(4)], "最多上传3个附件"),
    ({"attachments": ("", b"", "application/octet-stream")}, "请上传身份证明复印件"),
]


@pytest.mark.parametrize("files,message", REFUSED_UPLOADS, ids=["exe", "html", "svg", "empty", "5mb", "4files",
                                                                "none"])
async def test_public_form_refuses_bad_uploads_clearly_and_stores_nothing(client, db, uploads, files, message):
    response = await _apply(client, _form(), files)
    assert response.status_code == 400
    assert message in response.text and 'id="form-error"' in response.text
    assert "王小明" in response.text  # what was typed comes back
    assert _stored(uploads) == []
    for model in (DisclosureRequest, IntakeKey, DisclosureAttachment):
        assert await _count(db, model) == 0, model


async def test_a_body_over_the_server_limit_gets_413_with_a_chinese_message(client, db, uploads):
    big = PDF + b"0" * (16 * 1024 * 1024)
    response = await _apply(client, _form(), {"attachments": ("id.pdf", big, "application/pdf")})
    assert response.status_code == 413 and "上传的文件过大" in response.text
    assert _stored(uploads) == [] and await _count(db, DisclosureRequest) == 0


async def test_officer_intake_and_calendar_import_refuse_bad_files(client, db, uploads):
    await login(client, "jyj_officer")
    async with db.session_factory() as s:
        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    form = _form(intake_channel="in_person", received_date="2026-01-05", department_id=str(me.department_id))
    token = await csrf(client, "/disclosure/new")
    response = await client.post("/disclosure/new", data={**form, "_csrf_token": token},
                                 files={"attachments": ("scan.pdf", b"GIF89a\x01\x00", "application/pdf")},
                                 follow_redirects=False)
    assert response.status_code == 400 and "不是 PDF、JPG 或 PNG 格式" in response.text
    assert _stored(uploads) == [] and await _count(db, IntakeKey) == 0

    await post_form(client, "/logout", {}, token_from="/")
    await login(client, "admin")
    versions = await _count(db, CalendarVersion)
    cases = [(("holidays.exe", b"MZ\x90\x00", "application/octet-stream"), "只支持 .toml 或 .json 文件"),
             (("holidays.toml", b"year = 2031\n" + b"#" * 300 * 1024, "text/plain"), "文件过大（不超过256KB）"),
             (("holidays.json", b"\xff\xfe\x00junk", "application/json"), "UTF-8"),
             (("holidays.toml", b"year = [unclosed", "text/plain"), "文件无法解析")]
    for upload, message in cases:
        token = await csrf(client, "/calendar")
        response = await client.post("/calendar/import", data={"_csrf_token": token, "region": "cn", "year": "2026"},
                                     files={"file": upload})
        assert response.status_code == 400 and "导入失败" in response.text and message in response.text, upload[0]
    assert await _count(db, CalendarVersion) == versions


# -- SQL metacharacters -----------------------------------------------------------------------------


def _task_rows(html: str) -> set[str]:
    return set(re.findall(r'<tr class="urgency-[a-z_]+" data-task="\d+" data-case="([^"]+)"', html))


async def test_sql_metacharacters_in_searches_are_harmless(live, db):
    codes = {}
    for name in ("王_明", "王小明"):
        receipt = await _apply(live, _form(name=name), {"attachments": ("id.pdf", PDF + name.encode(), "x")})
        assert receipt.status_code in (200, 201), receipt.text[:300]
        codes[name] = re.search(r'id="tracking-code">([^<]+)<', receipt.text).group(1)
    await login(live, "gkb_officer")
    everything = _task_rows((await live.get("/inbox")).text)
    assert everything == set(codes.values())
    counts = {m: await _count(db, m) for m in (DisclosureRequest, Task, User, Department, AuditEvent)}

    for payload in SQL_PAYLOADS:
        # Matched literally: "_" finds 王_明 and nothing else, "%" finds nothing.
        literal = {code for name, code in codes.items() if payload.lower() in f"{name} {code}".lower()}
        for params, expected in (({"q": payload}, literal), ({"stage": payload}, set()),
                                 ({"process": payload}, set())):
            response = await live.get("/inbox", params=params)
            assert response.status_code == 200, (params, response.status_code)
            assert _task_rows(response.text) == expected, params
        board = await live.get("/inbox", params={"q": payload, "view": "board"})
        assert board.status_code == 200 and set(re.findall(r'data-case="([^"]+)"', board.text)) == literal
        track = await post_form(live, "/track", {"code": payload, "query_code": payload})
        assert track.status_code == 400 and "受理编号或查询码不正确" in track.text
        api = await live.get(f"/api/disclosure/{payload.replace('%', '%25')}")
        assert api.status_code in (404, 405) or api.status_code == 400, (payload, api.status_code)
        assert (await live.get("/deadline", params={"start": payload})).status_code == 400
        assert (await live.get("/board", params={"within": payload})).status_code == 403  # not an officer's page
    # Literal search still finds what it should, and only that.
    assert _task_rows((await live.get("/inbox", params={"q": "王_明"})).text) == {codes["王_明"]}
    assert _task_rows((await live.get("/inbox", params={"q": "王小明"})).text) == {codes["王小明"]}
    assert _task_rows((await live.get("/inbox", params={"q": codes["王小明"].lower()})).text) == {codes["王小明"]}
    assert {m: await _count(db, m) for m in counts} == counts  # every table intact
    assert _task_rows((await live.get("/inbox")).text) == everything


# -- password guessing ------------------------------------------------------------------------------


async def test_wrong_passwords_make_the_account_wait_even_for_the_right_password(client, db, clock):
    """A wait, not a lock: it ends by itself (at most web.throttle.LOGIN_MAX_WAIT, see
    test_rate_limits.py), and meanwhile no password is checked. Guessing across account names from
    one address is capped there too."""
    for _ in range(LOGIN_FREE + 1):
        response = await login(client, "jyj_officer", "wrong-password1")
        assert response.status_code == 401 and "用户名或密码错误" in response.text
    locked = await login(client, "jyj_officer")  # the right password, during the wait
    assert locked.status_code == 429 and "该账号登录失败次数过多" in locked.text and 'id="login-error"' in locked.text
    assert "login-form" in (await client.get("/")).text  # no session was opened
    assert (await login(client, "JYJ_OFFICER")).status_code == 429  # the name's case does not get round it

    # Another account from the same address is not held by this one.
    assert (await login(client, "jyj_head")).status_code in (302, 303)
    await post_form(client, "/logout", {}, token_from="/")

    # The wait ends by itself, and a login starts the account's count again.
    clock.advance(int(locked.headers["Retry-After"]))
    assert (await login(client, "jyj_officer")).status_code in (302, 303)
    assert "张华" in (await client.get("/")).text
    async with db.session_factory() as s:
        assert await s.get(Throttle, "login-user:jyj_officer") is None
