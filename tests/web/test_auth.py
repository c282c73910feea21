"""Logging in and out; wrong passwords; CSRF; who may see what."""

from __future__ import annotations

import asyncio

import httpx

from gongkai.passwords import verify_password
from gongkai.settings import load_settings
from tests.web.conftest import csrf, login, post_form
from web.app import create_app
from web.throttle import LOGIN_FREE, LOGIN_MAX_WAIT


async def test_login_and_logout(client):
    page = await client.get("/")
    assert page.status_code == 200 and "登录" in page.text  # redirected to the login page
    response = await login(client, "jyj_officer")
    assert response.status_code in (302, 303) and response.headers["location"] == "/"
    home = await client.get("/")
    assert "张华" in home.text and "经办人" in home.text
    out = await post_form(client, "/logout", {}, token_from="/")
    assert out.status_code in (302, 303)
    assert "login-form" in (await client.get("/")).text


async def test_wrong_passwords_get_a_clear_message_then_a_growing_wait(client, clock):
    for _ in range(LOGIN_FREE + 1):  # typing mistakes are answered at once
        response = await login(client, "jyj_officer", "wrong-password1")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text and "Traceback" not in response.text
    waits = []
    for _ in range(3):
        refused = await login(client, "jyj_officer")  # even the right password, and it is not checked
        assert refused.status_code == 429 and "之后再试" in refused.text
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
        assert (await login(client, "jyj_officer", "wrong-password1")).status_code == 401
    assert 0 < waits[0] < waits[1] < waits[2] <= LOGIN_MAX_WAIT
    # An unknown account gets the same message.
    response = await login(client, "nobody", "whatever123")
    assert response.status_code == 401 and "用户名或密码错误" in response.text
    # The right password works once the wait has passed.
    clock.advance(LOGIN_MAX_WAIT)
    assert (await login(client, "jyj_officer")).status_code in (302, 303)


async def test_a_form_without_its_csrf_token_is_refused(client):
    await csrf(client)
    response = await client.post("/login", data={"username": "admin", "password": "gongkai2026"})
    assert response.status_code == 403
    assert "安全令牌" in response.text


async def test_non_admins_get_403_on_admin_pages(client):
    await login(client, "jyj_head")
    for path in ("/admin/departments", "/admin/accounts", "/admin/audit"):
        response = await client.get(path)
        assert response.status_code == 403 and "管理员" in response.text


async def test_the_api_says_401_in_json_when_not_logged_in(client):
    response = await client.get("/api/deadline", params={"start": "2026-09-25", "n": 20})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


async def test_checking_a_password_does_not_stall_other_requests(db, monkeypatch):
    """argon2 takes a tenth of a second or more by design; done on the event loop it would hold
    every other page of the web process for that long, at each login or status lookup. Every check
    (passwords, query codes) runs off the loop: each notes whether a loop runs in its thread.
    (Not timed: a busy machine stalls a loop for other reasons too.)"""
    from gongkai import intake
    from web import auth

    where: list[str] = []

    def noting(check):
        def wrapper(*args):
            try:
                asyncio.get_running_loop()
                where.append("event loop")
            except RuntimeError:
                where.append("worker thread")
            return check(*args)
        return wrapper

    monkeypatch.setattr(auth, "verify_password", noting(verify_password))
    monkeypatch.setattr(intake, "verify_password", noting(verify_password))
    app = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False)
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://testserver") as client:
        statuses = []
        for name in ("jyj_officer", "jyj_head", "nobody"):  # two right passwords and an unknown account
            client.cookies.clear()  # signed out: a signed-in session's forms need its own token
            token = await csrf(client)
            response = await client.post("/login", follow_redirects=False,
                                         data={"username": name, "password": "gongkai2026", "_csrf_token": token})
            statuses.append(response.status_code)
        client.cookies.clear()
        track = await post_form(client, "/track", {"code": "DR-2026-999999", "query_code": "ABCDEFGHJKMN"})
    assert statuses[:2] in ([302, 302], [303, 303]) and statuses[2] == 401 and track.status_code == 400
    assert where == ["worker thread"] * 4
