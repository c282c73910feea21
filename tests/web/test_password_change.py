"""Passwords: an account an administrator creates (or whose password an administrator resets) changes
it before anything else; anyone changes their own (current password, the new one twice, the policy);
each change is audited and ends the account's other sessions."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlmodel import select

from gongkai.passwords import verify_password
from models import AuditEvent, Department, User
from tests.web.conftest import csrf, login, post_form

NEW = "Zhanghua2027"


async def _account(db, username: str) -> User:
    async with db.session_factory() as s:
        return (await s.execute(select(User).where(User.username == username))).scalar_one()


async def _change(client, current: str, new: str, again: str | None = None, next: str = ""):
    return await post_form(client, "/account/password", {
        "current_password": current, "new_password": new, "new_password2": new if again is None else again,
        "next": next})


async def _audited(db, action: str) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


async def test_demo_accounts_are_not_forced_to_change(client, db):
    async with db.session_factory() as s:
        assert not any(u.must_change_password for u in (await s.execute(select(User))).scalars())
    r = await login(client, "jyj_officer")
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_an_account_the_admin_created_changes_its_password_before_anything_else(client, db):
    await login(client, "admin")
    async with db.session_factory() as s:
        dept = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one()
    made = await post_form(client, "/admin/accounts", {"username": "jyj_new", "display_name": "何新", "role": "officer",
                                                       "department_id": str(dept.id), "password": "Chushi2026"})
    assert made.status_code in (302, 303)
    assert (await _account(db, "jyj_new")).must_change_password
    assert "待本人修改初始密码" in (await client.get("/admin/accounts")).text
    client.cookies.clear()

    r = await login(client, "jyj_new", "Chushi2026")
    assert r.status_code == 303 and r.headers["location"] == "/account/password?next=/"
    for path in ("/", "/inbox", "/incidents", "/register?q=x"):  # every page sends back to the change
        page = await client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/account/password"), path
    assert (await client.get("/inbox", follow_redirects=False)).headers["location"] == "/account/password?next=/inbox"
    refresh = await client.get("/inbox", headers={"HX-Request": "true",
                                                  "HX-Current-URL": "http://testserver.local/inbox"})
    assert refresh.headers["HX-Redirect"] == "/account/password?next=/inbox" and refresh.text == ""
    api = await client.get("/api/deadline", params={"start": "2026-09-25", "n": 20})
    assert api.status_code == 403 and api.json()["error"] == "password_change_required"
    page = await client.get("/account/password?next=/inbox")
    assert page.status_code == 200 and 'id="password-forced"' in page.text and 'value="/inbox"' in page.text

    refused = await _change(client, "Chushi2026", "Chushi2026", next="/inbox")
    assert refused.status_code == 400 and 'data-error-for="new_password"' in refused.text
    assert "不能与当前密码相同" in refused.text
    done = await _change(client, "Chushi2026", "Xinmima2026", next="/inbox")
    assert done.status_code == 303 and done.headers["location"] == "/inbox"
    assert (await client.get("/inbox")).status_code == 200
    account = await _account(db, "jyj_new")
    assert not account.must_change_password and verify_password(account.password_hash, "Xinmima2026")
    (event,) = await _audited(db, "password_changed")
    assert event.actor == "jyj_new" and event.detail == {"forced": True} and "初始密码" in event.summary


async def test_an_admins_reset_ends_the_owners_sessions_and_forces_a_change(client, db):
    await login(client, "jyj_officer")
    token = await csrf(client, "/")
    owner = await _account(db, "jyj_officer")
    async with AsyncTestClient(app=client.app) as admin:
        await login(admin, "admin")
        form = {"display_name": owner.display_name, "role": owner.role, "department_id": str(owner.department_id),
                "active": "on", "password": "Chongzhi2026"}
        assert (await post_form(admin, f"/admin/accounts/{owner.id}", form)).status_code in (302, 303)
        # The administrator's own reset of their own password forces nothing.
        me = await _account(db, "admin")
        mine = {"display_name": me.display_name, "role": me.role, "department_id": str(me.department_id),
                "active": "on", "password": "Guanli2027x"}
        assert (await post_form(admin, f"/admin/accounts/{me.id}", mine)).status_code in (302, 303)
    assert not (await _account(db, "admin")).must_change_password
    assert (await _account(db, "jyj_officer")).must_change_password

    # The owner's open session ended: a page goes to login; a form sent from it is not a 403 or 405.
    page = await client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    sent = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False,
                             headers={"Referer": "http://testserver.local/inbox"})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/login")
    assert (await login(client, "jyj_officer")).status_code == 401  # the old password is gone
    r = await login(client, "jyj_officer", "Chongzhi2026")
    assert r.headers["location"] == "/account/password?next=/"


async def test_self_service_change_checks_and_audits_and_ends_other_sessions(client, db):
    await login(client, "jyj_officer")
    async with AsyncTestClient(app=client.app) as elsewhere:
        await login(elsewhere, "jyj_officer")
        assert "张华" in (await elsewhere.get("/")).text
        page = await client.get("/account/password")
        assert page.status_code == 200 and 'id="password-forced"' not in page.text

        wrong = await _change(client, "not-my-password", NEW)
        assert wrong.status_code == 400 and 'data-error-for="current_password"' in wrong.text
        assert NEW not in wrong.text and "not-my-password" not in wrong.text  # passwords never come back
        weak = await _change(client, "gongkai2026", "short1")
        assert weak.status_code == 400 and "密码至少需要8个字符" in weak.text
        letters = await _change(client, "gongkai2026", "onlyletters")
        assert letters.status_code == 400 and "字母和数字" in letters.text
        differ = await _change(client, "gongkai2026", NEW, NEW + "x")
        assert differ.status_code == 400 and 'data-error-for="new_password2"' in differ.text
        assert verify_password((await _account(db, "jyj_officer")).password_hash, "gongkai2026")  # nothing changed

        done = await _change(client, "gongkai2026", NEW)
        assert done.status_code == 200 and 'id="password-done"' in done.text
        assert "张华" in (await client.get("/")).text  # this session goes on (under a new id)
        assert "login-form" in (await elsewhere.get("/")).text  # the other one ended
    (event,) = await _audited(db, "password_changed")
    assert event.actor == "jyj_officer" and event.detail == {"forced": False}
    client.cookies.clear()
    assert (await login(client, "jyj_officer")).status_code == 401
    assert (await login(client, "jyj_officer", NEW)).status_code == 303


async def test_wrong_current_passwords_count_as_failed_logins(client, clock):
    """A session left open is no way around the login's limit on guessing the password."""
    from web.throttle import LOGIN_FREE

    await login(client, "jyj_officer")
    for _ in range(LOGIN_FREE + 1):
        assert (await _change(client, "guess-password1", NEW)).status_code == 400
    refused = await _change(client, "gongkai2026", NEW)
    assert refused.status_code == 429 and "该账号登录失败次数过多" in refused.text and refused.headers["Retry-After"]
