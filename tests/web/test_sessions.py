"""Sessions: only ids the server issued, a new one at each sign-in, none for anonymous visitors,
dropped when the account's role or department changes; CSRF tokens bound to the session; Secure
__Host- cookies over https."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from gongkai.settings import load_settings
from models import User, WebSession
from tests.web.conftest import csrf, login, post_form
from web.app import create_app
from web.sessions import row_key

PLANTED = "a" * 64
HOST = "testserver.local"  # the test client's host, so a planted cookie replaces the issued one


def _set_cookies(response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def _rows(db) -> set[str]:
    """The rows' keys: hashes of the session ids (no row holds an id a browser could present)."""
    async with db.session_factory() as s:
        return set((await s.execute(select(WebSession.key))).scalars())


async def test_a_session_id_the_server_never_issued_is_not_adopted(client, db):
    client.cookies.set("session", PLANTED, domain=HOST)
    page = await client.get("/", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")
    assert any(c.startswith("session=") and "Max-Age=0" in c for c in _set_cookies(page))  # forget it

    client.cookies.set("session", PLANTED, domain=HOST)  # the victim signs in with the planted id
    response = await login(client, "jyj_officer")
    assert response.status_code in (302, 303)
    issued = client.cookies.get("session")
    assert issued and issued != PLANTED
    assert await _rows(db) == {row_key(issued)}

    async with AsyncTestClient(app=client.app) as attacker:  # the planter is not signed in
        attacker.cookies.set("session", PLANTED, domain=HOST)
        page = await attacker.get("/")
        assert "login-form" in page.text and "张华" not in page.text
    assert "张华" in (await client.get("/")).text


async def test_the_session_id_changes_at_each_sign_in_and_goes_at_sign_out(client, db):
    await login(client, "jyj_officer")
    first = client.cookies.get("session")
    token = await csrf(client, "/")
    again = await client.post("/login", data={"username": "jyj_officer", "password": "gongkai2026",
                                              "_csrf_token": token}, follow_redirects=False)
    assert again.status_code in (302, 303)
    second = client.cookies.get("session")
    assert second and second != first and await _rows(db) == {row_key(second)}

    out = await post_form(client, "/logout", {}, token_from="/")
    assert out.status_code in (302, 303) and client.cookies.get("session") is None
    assert await _rows(db) == set()
    async with AsyncTestClient(app=client.app) as replay:  # the old id is worth nothing now
        replay.cookies.set("session", second, domain=HOST)
        assert "login-form" in (await replay.get("/")).text


async def test_anonymous_pages_create_no_session_row(client, db):
    for path in ("/", "/login", "/apply", "/track", "/deadline", "/nonexistent", "/schema"):
        response = await client.get(path)
        assert response.status_code < 500, path
        assert not any(c.startswith("session=") for c in _set_cookies(response)), path
    token = await csrf(client, "/track")
    refused = await client.post("/track", data={"code": "DR-2026-000001", "query_code": "WRONGCODE",
                                                "_csrf_token": token})
    assert refused.status_code in (200, 400, 404, 429)
    assert (await login(client, "nobody", "wrong-password")).status_code == 401
    assert await _rows(db) == set()


async def test_a_session_is_dropped_when_the_accounts_role_changes(client, db):
    await login(client, "jyj_officer")
    assert "张华" in (await client.get("/")).text
    async with db.session_factory() as s:
        user = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
        user.role = "dept_head"
        await s.commit()
    page = await client.get("/", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")
    assert await _rows(db) == set()
    assert (await login(client, "jyj_officer")).status_code in (302, 303)  # signs in with the new role
    assert "部门负责人" in (await client.get("/")).text


async def test_a_guarded_page_drops_a_session_whose_department_changed(client, db):
    await login(client, "duban")
    assert (await client.get("/board")).status_code == 200
    async with db.session_factory() as s:
        user = (await s.execute(select(User).where(User.username == "duban"))).scalar_one()
        other = (await s.execute(select(User.department_id).where(User.department_id != user.department_id))).first()
        user.department_id = other[0]
        await s.commit()
    page = await client.get("/board", follow_redirects=False)  # the role guard reads the account
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")
    assert await _rows(db) == set()


async def test_a_csrf_token_from_another_session_is_refused(client, db):
    await login(client, "jyj_officer")
    mine = await csrf(client, "/")
    async with AsyncTestClient(app=client.app) as other:
        await login(other, "jyj_head")
        theirs = await csrf(other, "/")
    assert theirs != mine
    refused = await client.post("/logout", data={"_csrf_token": theirs}, follow_redirects=False)
    assert refused.status_code == 403 and "安全令牌" in refused.text
    refused = await client.post("/api/disclosure/DR-2026-000001/claim", json={}, headers={"x-csrftoken": theirs})
    assert refused.status_code == 403
    # An anonymous double-submit pair, valid together, that an attacker could plant (the cookie)
    # and submit (the token): not a token of this session either.
    async with AsyncTestClient(app=client.app) as anon:
        pair_token = await csrf(anon, "/login")
        pair_cookie = anon.cookies.get("gk_csrf")
    client.cookies.set("gk_csrf", pair_cookie, domain=HOST)
    refused = await client.post("/logout", data={"_csrf_token": pair_token}, follow_redirects=False)
    assert refused.status_code == 403
    assert "张华" in (await client.get("/")).text  # still signed in
    accepted = await client.post("/logout", data={"_csrf_token": mine}, follow_redirects=False)
    assert accepted.status_code in (302, 303)


async def test_over_https_the_cookies_are_secure_with_the_host_prefix(db, clock):
    settings = replace(load_settings(), secure_cookies=True)
    app = create_app(settings, session_factory=db.session_factory, connect_temporal=False, clock=clock)
    async with AsyncTestClient(app=app, base_url="https://gongkai.example") as client:
        page = await client.get("/login")
        (csrf_cookie,) = [c for c in _set_cookies(page) if "gk_csrf" in c]
        assert csrf_cookie.startswith("__Host-gk_csrf=") and "Secure" in csrf_cookie
        assert "Path=/" in csrf_cookie and "Domain" not in csrf_cookie
        token = await csrf(client)
        response = await client.post("/login", data={"username": "jyj_officer", "password": "gongkai2026",
                                                      "_csrf_token": token}, follow_redirects=False)
        assert response.status_code in (302, 303)
        (cookie,) = [c for c in _set_cookies(response) if "session=" in c]
        assert cookie.startswith("__Host-session=") and "Secure" in cookie and "HttpOnly" in cookie
        assert "Path=/" in cookie and "Domain" not in cookie
        assert "张华" in (await client.get("/")).text
    async with db.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(WebSession))).scalar_one() == 1


async def test_a_session_is_written_only_when_it_changes_or_nears_its_end_and_ends_when_it_expires(client, db):
    """A page view writes no row while the session is unchanged and far from its end; past half its
    life (8 hours) a view slides the end on; an expired session is gone and the user signs in again."""
    from datetime import UTC, datetime, timedelta

    async def expiry() -> datetime:
        async with db.session_factory() as s:
            return (await s.execute(select(WebSession.expires_at))).scalar_one()

    async def set_expiry(at: datetime) -> None:
        async with db.session_factory() as s:
            row = (await s.execute(select(WebSession))).scalar_one()
            row.expires_at = at
            await s.commit()

    await login(client, "jyj_officer")
    issued = await expiry()
    assert timedelta(hours=7, minutes=59) < issued - datetime.now(UTC) <= timedelta(hours=8)
    await set_expiry(issued - timedelta(minutes=30))  # still more than half its life left
    assert (await client.get("/inbox")).status_code == 200
    assert await expiry() == issued - timedelta(minutes=30)  # not written
    await set_expiry(datetime.now(UTC) + timedelta(hours=3))  # less than half left
    assert (await client.get("/inbox")).status_code == 200
    assert await expiry() - datetime.now(UTC) > timedelta(hours=7, minutes=59)  # slid on
    await set_expiry(datetime.now(UTC) - timedelta(seconds=1))
    assert "login-form" in (await client.get("/")).text
    assert await _rows(db) == set()
