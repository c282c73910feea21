"""Notices and clocks on pages: marking read in place (htmx) or by a plain POST, all at once, the
header's badge fragment; a policy's clocks in Chinese with days left and their derivation; the
timeline names people."""

from __future__ import annotations

import re
import uuid

from sqlmodel import select

from models import Notification, User
from tests.web.conftest import csrf, login, post_form
from tests.web.test_policy_pages import DRAFT, _new_policy


async def _notes(db, username: str, n: int) -> list[int]:
    async with db.session_factory() as s:
        uid = (await s.execute(select(User.id).where(User.username == username))).scalar_one()
        notes = [Notification(key=f"t/{uuid.uuid4()}", user_id=uid, case_id="DR-2026-000001", title=f"提醒{i}",
                              body="答复期限截止 2026-12-29 24:00（北京时间）") for i in range(n)]
        s.add_all(notes)
        await s.commit()
        return [x.id for x in notes]


async def _unread(db, ids: list[int]) -> set[int]:
    async with db.session_factory() as s:
        return {n.id for n in (await s.execute(select(Notification).where(
            Notification.id.in_(ids), Notification.read_at.is_(None)))).scalars()}


def _badge(html: str) -> str:
    match = re.search(r'data-count="unread"[^>]*>(\d+)<', html)
    assert match, html[:300]
    return match.group(1)


async def test_one_read_in_place_then_all_read_and_the_badge_follows(client, db):
    ids = await _notes(db, "gkb_officer", 3)
    await login(client, "gkb_officer")
    home = await client.get("/")
    assert _badge(home.text) == "3" and 'hx-get="/notifications/badge"' in home.text and "全部已读" in home.text
    token = await csrf(client, "/")
    one = await client.post(f"/notifications/{ids[0]}/read", data={"_csrf_token": token},
                            headers={"hx-request": "true"})
    # htmx: the section comes back without a reload, the badge with it (out of band)
    assert one.status_code == 200 and 'id="notifications"' in one.text and "<html" not in one.text
    assert f'data-notification="{ids[0]}"' not in one.text and f'data-notification="{ids[1]}"' in one.text
    assert 'hx-swap-oob="true"' in one.text and _badge(one.text) == "2"
    assert await _unread(db, ids) == {ids[1], ids[2]}
    badge = await client.get("/notifications/badge")
    assert badge.status_code == 200 and _badge(badge.text) == "2" and "<html" not in badge.text

    later = await _notes(db, "gkb_officer", 1)  # arrives after the page listed the others
    every = await client.post("/notifications/read-all", data={"_csrf_token": token, "up_to": str(ids[2])},
                              headers={"hx-request": "true"})
    assert every.status_code == 200 and "暂无待阅事项" not in every.text and _badge(every.text) == "1"
    assert await _unread(db, ids + later) == set(later)  # one not yet shown stays unread


async def test_without_javascript_the_same_forms_return_home(client, db):
    ids = await _notes(db, "gkb_officer", 2)
    other = await _notes(db, "jyj_officer", 1)
    await login(client, "gkb_officer")
    r = await post_form(client, f"/notifications/{other[0]}/read", {}, token_from="/")
    assert r.status_code in (302, 303) and await _unread(db, other) == set(other)  # not theirs: untouched
    r = await post_form(client, f"/notifications/{ids[0]}/read", {}, token_from="/")
    assert r.status_code in (302, 303) and r.headers["location"] == "/"
    r = await post_form(client, "/notifications/read-all", {}, token_from="/")
    assert r.status_code in (302, 303) and not await _unread(db, ids)
    home = await client.get("/")
    assert "暂无待阅事项" in home.text and _badge(home.text) == "0"


async def test_a_policy_clock_reads_in_chinese_with_days_left_and_how_it_was_counted(live, db):
    await login(live, "jyj_officer")
    cid = await _new_policy(live, "department")
    await post_form(live, f"/policy/{cid}/update_draft", DRAFT, token_from=f"/policy/{cid}")
    await post_form(live, f"/policy/{cid}/submit", {}, token_from=f"/policy/{cid}")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    r = await post_form(live, f"/policy/{cid}/sign", {"version": "1", "approve": "false", "comment": "依据不充分"},
                        token_from=f"/policy/{cid}")
    assert r.status_code in (302, 303)
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    home = await live.get("/")
    assert "【文件退回】" in home.text and "依据不充分" in home.text  # the drafter is told
    await post_form(live, f"/policy/{cid}/submit", {}, token_from=f"/policy/{cid}")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    await post_form(live, f"/policy/{cid}/sign", {"version": "1", "approve": "true"}, token_from=f"/policy/{cid}")
    await post_form(live, f"/policy/{cid}/secrecy_review", {"approve": "true"}, token_from=f"/policy/{cid}")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    r = await post_form(live, f"/policy/{cid}/publish", {"url": "http://www.example.gov.cn/zc/1"},
                        token_from=f"/policy/{cid}")
    assert r.status_code in (302, 303), r.text[:400]
    page = (await live.get(f"/policy/{cid}")).text
    clock = page[page.index('data-deadline="interpretation"'):]
    clock = clock[:clock.index("</div>")]
    assert "截止 " in clock and "进行中" in clock and "剩余 3 个工作日" in clock and "推算过程" in clock
    assert "起算日" in clock  # the derivation the disclosure clocks show
    assert "running" not in re.sub(r'data-[a-z]+="[^"]*"', "", clock)
    timeline = page[page.index('id="timeline"'):]
    assert "张华" in timeline and "jyj_officer" not in timeline and "jyj_head" not in timeline
