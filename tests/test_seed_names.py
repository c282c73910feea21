"""Demo accounts are named like people: the header adds the role once (issue 15 saw
"李明（公开办经办人）（经办人）"), and no name carries a 区 or 县 title. Installations seeded with the old
names get the new ones at the next start, unless an administrator renamed the account since."""

from __future__ import annotations

from sqlmodel import select

from gongkai.roles import ROLE_ZH
from models import User
from shell.seed import DEMO_ACCOUNTS, OLD_DEMO_NAMES, seed


def test_demo_names_say_neither_the_role_nor_a_title():
    for username, name, role, _dept in DEMO_ACCOUNTS:
        if role == "admin":
            assert name == ROLE_ZH[role]  # the header shows it once (web/templates/base.html)
            continue
        assert "（" not in name and ROLE_ZH[role] not in name, username
        assert not any(title in name for title in ("区长", "县长", "主任", "局长", "督办")), username


async def test_old_demo_names_are_renamed_unless_edited(db):
    with db.sync_session() as session:
        accounts = {u.username: u for u in session.exec(select(User))}
        accounts["gkb_officer"].display_name = OLD_DEMO_NAMES["gkb_officer"]
        accounts["leader"].display_name = OLD_DEMO_NAMES["leader"]
        accounts["jyj_officer"].display_name = "张华（教育局）"  # an administrator's own choice
        session.commit()
        seed(session, demo=True)
        names = {u.username: u.display_name for u in session.exec(select(User))}
    assert names["gkb_officer"] == "李明" and names["leader"] == "陈立新"
    assert names["jyj_officer"] == "张华（教育局）"
