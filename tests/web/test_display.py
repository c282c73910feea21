"""Wall screens (大屏): an administrator makes, lists and revokes read-only links to the incident
board; the link shows the board without a session (so it outlives anyone's 8 hours) and stops,
saying so, once revoked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from models import AuditEvent, Department, IncidentCase, WebSession
from models.accounts import DisplayLink
from tests.web.conftest import login, post_form
from web.display import token_hash

URL = re.compile(r'id="display-url" value="http://testserver\.local(/display/[A-Za-z0-9_-]+)"')


async def _make(client, name: str = "应急指挥中心大屏") -> str:
    made = await post_form(client, "/admin/displays/", {"name": name}, token_from="/admin/displays")
    assert made.status_code == 200, made.status_code
    found = URL.search(made.text)
    assert found, "the new link is shown"
    return found.group(1)


async def _incident(db, title: str) -> None:
    async with db.session_factory() as s:
        dept = (await s.execute(select(Department).where(Department.code == "JYJ"))).scalar_one()
        at = datetime.now(UTC) - timedelta(hours=1)
        s.add(IncidentCase(id="IN-2026-000201", title=title, grade="major", source="online", department_id=dept.id,
                           occurred_at=at, detected_at=at, stage="release"))
        await s.commit()


async def _sessions(db) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(func.count()).select_from(WebSession))).scalar_one()


async def test_an_admin_makes_a_link_that_shows_the_board_without_a_session_until_revoked(client, db):
    await _incident(db, "某学校食堂疑似食物中毒")
    await login(client, "admin")
    path = await _make(client)
    token = path.rsplit("/", 1)[1]
    async with db.session_factory() as s:
        (link,) = (await s.execute(select(DisplayLink))).scalars()
        assert link.token_hash == token_hash(token) and token not in link.token_hash and link.created_by == "admin"
    listing = await client.get("/admin/displays")
    assert "应急指挥中心大屏" in listing.text and token not in listing.text  # shown once, at creation
    (made,) = [e for e in await _events(db) if e.action == "display_created"]
    assert "应急指挥中心大屏" in made.summary and token not in str(made.detail)

    async with AsyncTestClient(app=client.app) as screen:  # a browser nobody signed in to
        before = await _sessions(db)
        shown = await screen.get(path)
        assert shown.status_code == 200 and "某学校食堂疑似食物中毒" in shown.text
        assert 'id="who"' not in shown.text and "<form" not in shown.text  # no header, no forms
        assert f'hx-get="{path}"' in shown.text and "hx-disable" in shown.text
        refreshed = await screen.get(path, headers={"HX-Request": "true"})
        assert refreshed.status_code == 200 and 'id="incident-board"' in refreshed.text
        assert "<html" not in refreshed.text and "某学校食堂疑似食物中毒" in refreshed.text
        assert not any(c.startswith("session=") for c in shown.headers.get_list("set-cookie"))
        assert await _sessions(db) == before  # no session: nothing of a person's to expire

        revoked = await post_form(client, f"/admin/displays/{link.id}/revoke", {}, token_from="/admin/displays")
        assert revoked.status_code == 303
        stopped = await screen.get(path, headers={"HX-Request": "true"})
        assert stopped.status_code == 410 and stopped.headers["HX-Redirect"] == path and stopped.text == ""
        page = await screen.get(path)
        assert page.status_code == 410 and "已于" in page.text and "被系统管理员撤销" in page.text
        assert "某学校食堂疑似食物中毒" not in page.text
        unknown = await screen.get("/display/" + "x" * 43)
        assert unknown.status_code == 404 and "大屏链接无效" in unknown.text
    assert [e.action for e in await _events(db)] == ["display_created", "display_revoked"]
    assert "已撤销（admin" in (await client.get("/admin/displays")).text


async def test_only_administrators_make_links_and_a_name_is_required(client, db):
    await login(client, "gkb_head")
    assert (await client.get("/admin/displays")).status_code == 403
    client.cookies.clear()
    await login(client, "admin")
    refused = await post_form(client, "/admin/displays/", {"name": "  "}, token_from="/admin/displays")
    assert refused.status_code == 400 and 'data-error-for="name"' in refused.text
    async with db.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(DisplayLink))).scalar_one() == 0


async def _events(db) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.action.startswith("display_"))
                                     .order_by(AuditEvent.id))).scalars())
