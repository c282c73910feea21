"""An account's work contacts (e-mail address, mobile number): set by administrators where accounts
are created and edited, and by their owner on /account; checked, kept as typed when refused, audited
without their values."""

from __future__ import annotations

import re
from html import unescape

from sqlmodel import select

from models import AuditEvent, Department, User
from tests.web.conftest import login, post_form


async def _user(db, username: str) -> User:
    async with db.session_factory() as s:
        return (await s.execute(select(User).where(User.username == username))).scalar_one()


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'data-error-for="{field}">([^<]+)<', html)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


async def _events(db, action: str) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


async def test_an_administrator_sets_an_accounts_email_and_mobile(client, db):
    await login(client, "admin")
    async with db.session_factory() as s:
        dept = (await s.execute(select(Department.id).where(Department.code == "WJW"))).scalar_one()
    new = {"username": "wjw_new", "display_name": "孙小美", "role": "officer", "department_id": str(dept),
           "password": "Weijian2026", "email": "sun@", "mobile": "13800000000"}
    r = await post_form(client, "/admin/accounts", new)
    assert r.status_code == 400 and "电子邮件地址格式不正确" in _field_error(r.text, "email")
    assert 'value="sun@"' in r.text and 'value="13800000000"' in r.text and 'value="孙小美"' in r.text
    r = await post_form(client, "/admin/accounts", {**new, "email": "sun@wjw.example.gov.cn", "mobile": "1380000"})
    assert r.status_code == 400 and "11位" in _field_error(r.text, "mobile")
    r = await post_form(client, "/admin/accounts", {**new, "email": "sun@wjw.example.gov.cn",
                                                    "mobile": "+86 138-0000-1234"})
    assert r.status_code in (302, 303)
    account = await _user(db, "wjw_new")
    assert (account.email, account.mobile) == ("sun@wjw.example.gov.cn", "13800001234")
    listed = (await client.get("/admin/accounts")).text
    assert "邮箱、手机已登记" in listed and "13800001234" not in listed  # the list says whether, not what

    edit = f"/admin/accounts/{account.id}"
    form = {"display_name": "孙小美（改）", "role": "officer", "department_id": str(dept), "active": "on",
            "email": "sun@wjw.example.gov.cn", "mobile": "23800001234"}
    r = await post_form(client, edit, form)
    assert r.status_code == 400 and "以1开头" in _field_error(r.text, "mobile")
    assert 'value="23800001234"' in r.text and 'value="孙小美（改）"' in r.text  # as typed, not as stored
    r = await post_form(client, edit, {**form, "mobile": ""})
    assert r.status_code in (302, 303)
    account = await _user(db, "wjw_new")
    assert (account.display_name, account.mobile) == ("孙小美（改）", "")

    (created,) = await _events(db, "account_created")
    (updated,) = await _events(db, "account_updated")
    assert updated.detail["contacts_changed"] == ["mobile"]
    for event in (created, updated):
        assert "13800001234" not in str(event.detail) + event.summary and "sun@" not in str(event.detail)


async def test_a_signed_in_user_keeps_their_own_contacts(client, db):
    await login(client, "wjw_officer")
    page = await client.get("/account")
    assert page.status_code == 200 and "联系方式" in page.text and 'href="/account"' in page.text
    r = await post_form(client, "/account/contacts", {"email": "zheng@wjw", "mobile": "13912345678"},
                        token_from="/account")
    assert r.status_code == 400 and "格式不正确" in _field_error(r.text, "email")
    assert 'value="zheng@wjw"' in r.text and 'value="13912345678"' in r.text
    assert (await _user(db, "wjw_officer")).mobile == ""
    r = await post_form(client, "/account/contacts", {"email": "zheng@wjw.example.gov.cn", "mobile": "139 1234 5678"},
                        token_from="/account")
    assert r.status_code == 200 and 'id="contacts-done"' in r.text and 'value="13912345678"' in r.text
    account = await _user(db, "wjw_officer")
    assert (account.email, account.mobile) == ("zheng@wjw.example.gov.cn", "13912345678")
    (event,) = await _events(db, "contacts_changed")
    assert event.case_id == "auth" and event.detail == {"changed": ["email", "mobile"]}
    r = await client.post("/account/contacts", data={"email": "x@y.cn", "mobile": ""})  # no CSRF token
    assert r.status_code == 403 and (await _user(db, "wjw_officer")).email == "zheng@wjw.example.gov.cn"
