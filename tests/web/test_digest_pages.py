"""The daily digest in the app: its notice, about no one case, is on the home page's 待阅 and leads
to the 待办 list (not to a case page)."""

from __future__ import annotations

from sqlmodel import select

from models import Notification, User
from tests.web.conftest import login


async def test_the_digest_notice_is_on_the_home_page_and_leads_to_the_inbox(client, db):
    async with db.session_factory() as s:
        uid = (await s.execute(select(User.id).where(User.username == "gkb_officer"))).scalar_one()
        note = Notification(key=f"digest/2026-12-02/{uid}", user_id=uid, case_id="",
                            title="每日待办摘要（12月2日）：已超期1项",
                            body="待办 3 项（已超期 1，其他 2）。详见待办列表。")
        s.add(note)
        await s.commit()
    await login(client, "gkb_officer")
    home = await client.get("/")
    assert home.status_code == 200
    row = home.text.split(f'data-notification="{note.id}"', 1)[1].split("</tr>", 1)[0]
    assert '<a href="/inbox"><strong>每日待办摘要（12月2日）：已超期1项</strong></a>' in row
    assert "待办 3 项（已超期 1，其他 2）。详见待办列表。" in row
    inbox = await client.get("/inbox")
    assert inbox.status_code == 200
