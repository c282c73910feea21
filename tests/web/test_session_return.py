"""A session that ends while someone works: an htmx refresh is told HX-Redirect (the login page is
never swapped into a list), a page goes to the login page and comes back, a form sent after the end
is not replayed and does not end on a 405, and `next` never leads off this site."""

from __future__ import annotations

from sqlalchemy import delete

from models import WebSession
from tests.web.conftest import csrf, login
from web.returns import local_path

HTMX = {"HX-Request": "true"}


async def _end_sessions(db) -> None:
    """What an expired session looks like to the server: its row is gone (the store deletes an
    expired row when asked for it); the browser still sends its cookie."""
    async with db.session_factory() as s:
        await s.execute(delete(WebSession))
        await s.commit()


async def test_an_htmx_refresh_after_the_session_ended_is_sent_to_login_and_back(client, db):
    await login(client, "gkb_officer")
    assert (await client.get("/inbox?view=list", headers=HTMX)).status_code == 200
    await _end_sessions(db)
    here = {**HTMX, "HX-Current-URL": "http://testserver.local/inbox?view=board&overdue=true"}
    refresh = await client.get("/inbox?view=board&overdue=true", headers=here, follow_redirects=False)
    assert refresh.status_code == 401 and refresh.text == ""  # nothing to swap into the list
    assert refresh.headers["HX-Redirect"] == "/login?next=/inbox%3Fview%3Dboard%26overdue%3Dtrue"

    login_page = await client.get(refresh.headers["HX-Redirect"])
    assert 'name="next" value="/inbox?view=board&amp;overdue=true"' in login_page.text
    assert 'id="login-return"' in login_page.text
    token = await csrf(client, refresh.headers["HX-Redirect"])
    back = await client.post("/login", follow_redirects=False, data={
        "username": "gkb_officer", "password": "gongkai2026", "next": "/inbox?view=board&overdue=true",
        "_csrf_token": token})
    assert back.status_code == 303 and back.headers["location"] == "/inbox?view=board&overdue=true"

    # The incident board's refresh, the same way; a page URL of another site is not followed.
    await _end_sessions(db)
    board = await client.get("/incidents/board", follow_redirects=False,
                             headers={**HTMX, "HX-Current-URL": "http://testserver.local/incidents/board"})
    assert board.status_code == 401 and board.headers["HX-Redirect"] == "/login?next=/incidents/board"
    foreign = await client.get("/inbox", follow_redirects=False,
                               headers={**HTMX, "HX-Current-URL": "https://evil.example/inbox"})
    assert foreign.headers["HX-Redirect"] == "/login"


async def test_a_page_goes_to_login_with_its_address_and_query(client):
    page = await client.get("/register?q=DR-2026&year=2026", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/register%3Fq%3DDR-2026%26year%3D2026"
    assert (await client.get("/", follow_redirects=False)).headers["location"] == "/login"


async def test_a_form_sent_after_the_session_ended_returns_to_its_page_not_a_405(client, db):
    """Issue 15: typed, sent after the session had expired, and after the login "出错了（405）". The
    form carries its session's token but the session is gone: a person to sign in, not a forgery."""
    await login(client, "admin")
    token = await csrf(client, "/admin/departments")
    await _end_sessions(db)
    sent = await client.post("/admin/departments", follow_redirects=False,
                             data={"code": "MZJ", "name": "区民政局", "kind": "department", "_csrf_token": token},
                             headers={"Referer": "http://testserver.local/admin/departments"})
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=/admin/departments"
    login_token = await csrf(client, sent.headers["location"])
    back = await client.post("/login", follow_redirects=False, data={
        "username": "admin", "password": "gongkai2026", "next": "/admin/departments", "_csrf_token": login_token})
    assert back.headers["location"] == "/admin/departments"
    page = await client.get("/admin/departments")
    assert page.status_code == 200 and "区民政局" not in page.text  # not replayed

    # Sent by htmx (an hx-post form), the same: HX-Redirect to the login page, back to the page.
    token = await csrf(client, "/admin/departments")
    await _end_sessions(db)
    sent = await client.post("/admin/departments", follow_redirects=False, data={"code": "X"},
                             headers={"x-csrftoken": token, **HTMX,
                                      "HX-Current-URL": "http://testserver.local/admin/departments"})
    assert sent.status_code == 401 and sent.headers["HX-Redirect"] == "/login?next=/admin/departments"
    # A form of another site's page (a Referer elsewhere) does not go back there: to the page above
    # the form's own address, on this site.
    sent = await client.post("/admin/departments", follow_redirects=False, data={"_csrf_token": token},
                             headers={"Referer": "https://evil.example/admin/departments"})
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=/admin"


async def test_a_forged_form_without_a_session_token_is_still_refused(client):
    await csrf(client)
    refused = await client.post("/admin/departments", data={"code": "X", "_csrf_token": "forged"},
                                follow_redirects=False)
    assert refused.status_code == 403 and "安全令牌" in refused.text


async def test_next_is_a_local_page_only(client):
    for target in ("//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:x", "/\t/evil.example",
                   "/a\nb", "/login?next=/x", "/logout", "/static/app.css", "/api/deadline", "evil", "", None):
        assert local_path(target) is None, target
    assert local_path("/inbox?view=board") == "/inbox?view=board"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        token = await csrf(client)
        r = await client.post("/login", follow_redirects=False, data={
            "username": "jyj_officer", "password": "gongkai2026", "next": target, "_csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == "/", target
    client.cookies.clear()
    shown = await client.get("/login?next=//evil.example/")
    assert 'name="next" value="/"' in shown.text and "evil.example" not in shown.text
