"""Administrators keep departments and accounts; every change is audited."""

from __future__ import annotations

from sqlmodel import select

from models import AuditEvent, Department, User
from tests.web.conftest import login, post_form


async def test_admin_creates_a_department_and_an_account_who_can_log_in(client, db):
    await login(client, "admin")
    r = await post_form(client, "/admin/departments", {"code": "mzj", "name": "区民政局", "kind": "department"})
    assert r.status_code in (302, 303)
    page = await client.get("/admin/departments")
    assert 'data-department="MZJ"' in page.text and "区民政局" in page.text
    dup = await post_form(client, "/admin/departments", {"code": "MZJ", "name": "重复", "kind": "department"})
    assert dup.status_code == 400 and "已存在" in dup.text and "重复" in dup.text  # values kept
    async with db.session_factory() as s:
        dept = (await s.execute(select(Department).where(Department.code == "MZJ"))).scalar_one()
    new = {"username": "mzj_officer", "display_name": "钱多多", "role": "officer",
           "department_id": str(dept.id), "password": "weak"}
    r = await post_form(client, "/admin/accounts", new)
    assert r.status_code == 400 and "密码至少" in r.text and "钱多多" in r.text
    r = await post_form(client, "/admin/accounts", {**new, "password": "Minzheng2026"})
    assert r.status_code in (302, 303)
    r = await post_form(client, "/admin/accounts", {**new, "password": "Minzheng2026"})
    assert r.status_code == 400 and "已被使用" in r.text
    async with db.session_factory() as s:
        actions = [a.action for a in (await s.execute(select(AuditEvent).where(AuditEvent.case_id == "admin")))
                   .scalars()]
    assert actions == ["department_created", "account_created"]

    await post_form(client, "/logout", {}, token_from="/")
    assert (await login(client, "mzj_officer", "Minzheng2026")).status_code in (302, 303)


async def test_a_deactivated_account_cannot_log_in(client, db):
    await login(client, "admin")
    async with db.session_factory() as s:
        target = (await s.execute(select(User).where(User.username == "wjw_officer"))).scalar_one()
    form = {"display_name": target.display_name, "role": target.role, "department_id": str(target.department_id)}
    r = await post_form(client, f"/admin/accounts/{target.id}", form)  # "active" unchecked
    assert r.status_code in (302, 303)
    await post_form(client, "/logout", {}, token_from="/")
    r = await login(client, "wjw_officer")
    assert r.status_code == 401 and "停用" in r.text


async def test_script_payloads_come_back_escaped(client):
    await login(client, "admin")
    payload = '<script>alert("x")</script>'
    r = await post_form(client, "/admin/departments", {"code": "XSS", "name": payload, "kind": "department"})
    assert r.status_code in (302, 303)
    page = await client.get("/admin/departments")
    assert payload not in page.text and "&lt;script&gt;" in page.text
