"""Each role's home and inbox, over tasks and notices as the clocks and cases write them: officers
act on their department's work; heads, leaders, the principal head and the supervisor see only what
is addressed to them (待办) and what they are told (待阅), one row per case and matter; everything
else only through 全部事项."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from models import Department, Notification, Task, User
from tests.web.conftest import login, post_form
from web.tasks import count_open

DUE = datetime(2026, 12, 20, 16, tzinfo=UTC)


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    assert found, f"no #{section_id}"
    return found.group(1)


async def _ids(db) -> tuple[dict[str, int], dict[str, int]]:
    async with db.session_factory() as s:
        users = {u.username: u.id for u in (await s.execute(select(User))).scalars()}
        depts = {d.code: d.id for d in (await s.execute(select(Department))).scalars()}
    return users, depts


async def _seed(db) -> dict[str, int]:
    users, depts = await _ids(db)

    def task(key, case, kind, title, dept=None, role=None, assignee=None, deadline=None, due=DUE):
        return Task(key=key, case_id=case, workflow_id=case, process="disclosure", kind=kind, title=title,
                    department_id=dept, role=role, assignee_id=assignee, deadline_id=deadline, due_at=due)

    def note(key, user, case, title, deadline=None, minutes=0):
        return Notification(key=key, user_id=users[user], case_id=case, deadline_id=deadline, title=title,
                            body="提醒", created_at=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=minutes))

    async with db.session_factory() as s:
        s.add_all([
            task("t1", "DR-2026-009001", "stage:confirm", "确认收到申请 DR-2026-009001", dept=depts["GKB"]),
            task("t2", "DR-2026-009002", "stage:archive", "归档 DR-2026-009002", dept=depts["GKB"],
                 assignee=users["gkb_officer"], due=None),
            task("t3", "DR-2026-009001", "escalation:supervisor", "督办：【已到期】依申请公开 DR-2026-009001：确认期限",
                 role="supervisor", deadline="DR-2026-009001/confirmation"),
            task("t4", "DR-2026-009001", "escalation:supervisor", "督办：【已超期】依申请公开 DR-2026-009001：确认期限",
                 role="supervisor", deadline="DR-2026-009001/confirmation", due=DUE + timedelta(days=3)),
            task("t5", "DR-2026-009001", "escalation:leader", "督办：【已超期】依申请公开 DR-2026-009001：确认期限",
                 role="leader", deadline="DR-2026-009001/confirmation"),
            task("t6", "DR-2026-009003", "supervision", "【督办】依申请公开 DR-2026-009003：请加快办理",
                 dept=depts["JYJ"], role="dept_head"),
            task("t7", "DR-2026-009003", "stage:handle", "办理并起草答复 DR-2026-009003", dept=depts["JYJ"],
                 assignee=users["jyj_officer"]),
            task("t8", "DR-2026-009004", "stage:sign_off", "审签答复 DR-2026-009004", role="office_head"),
            note("n1", "duban", "DR-2026-009001", "【已到期】依申请公开 DR-2026-009001：确认期限",
                 "DR-2026-009001/confirmation", 1),
            note("n2", "duban", "DR-2026-009005", "【即将到期】依申请公开 DR-2026-009005：答复期限",
                 "DR-2026-009005/reply", 2),
            note("n3", "duban", "DR-2026-009005", "【已超期】依申请公开 DR-2026-009005：答复期限",
                 "DR-2026-009005/reply", 3),
            note("n4", "duban", "IN-2026-000001", "【新登记】突发事件 化工厂泄漏", None, 4),
        ])
        await s.commit()
    return users


async def _home(client, username: str) -> str:
    await post_form(client, "/logout", {}, token_from="/")
    await login(client, username)
    page = await client.get("/")
    assert page.status_code == 200
    return page.text


OFFICERS = ("确认收到申请", "归档", "办理并起草答复")


async def test_leaders_and_the_principal_head_see_only_what_waits_for_them(client, db):
    await _seed(db)
    todo = _section(await _home(client, "leader"), "tasks")
    assert "DR-2026-009001" in todo and todo.count("data-task=") == 1
    assert not any(word in todo for word in (*OFFICERS, "审签答复"))
    assert 'href="/inbox?scope=all"' in todo  # everything, for the asking
    inbox = (await client.get("/inbox")).text
    assert not any(word in inbox for word in OFFICERS)
    everything = (await client.get("/inbox", params={"scope": "all"})).text
    assert all(word in everything for word in OFFICERS) and "全部事项" in everything
    assert "暂无待办事项" in _section(await _home(client, "zhuyao"), "tasks")


async def test_the_supervisor_home_has_one_row_per_case_and_matter_and_reads_a_matter_at_once(client, db):
    users = await _seed(db)
    home = await _home(client, "duban")
    todo = _section(home, "tasks")
    assert todo.count("data-task=") == 1 and "同一事项另有1条" in todo  # two 督办 rows of one clock
    assert not any(word in todo for word in OFFICERS)
    reading = _section(home, "notifications")
    # the notice about the clock already in 待办 is not a second row; two of one clock are one
    assert "DR-2026-009001" not in reading
    assert reading.count("data-notification=") == 2 and "同一事项共2条" in reading and "化工厂泄漏" in reading
    # the header counts those rows: four unread notices, one a copy of a 待办 clock, two of one clock
    assert re.search(r'data-count="unread"[^>]*>2<', home)
    async with db.session_factory() as s:
        supervisor = await s.get(User, users["duban"])
        assert await count_open(s, supervisor) == 1  # the badge counts what the home lists
        newest = (await s.execute(select(Notification).where(Notification.key == "n3"))).scalar_one()
    r = await post_form(client, f"/notifications/{newest.id}/read-matter", {}, token_from="/")
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        unread = {n.key for n in (await s.execute(select(Notification).where(
            Notification.user_id == users["duban"], col(Notification.read_at).is_(None)))).scalars()}
    assert unread == {"n1", "n4"}  # both of that clock read together; the others not
    assert "DR-2026-009005" not in _section((await client.get("/")).text, "notifications")
    # another person's notice is not theirs to read
    async with db.session_factory() as s:
        other = (await s.execute(select(Notification).where(Notification.key == "n4"))).scalar_one()
    await _home(client, "leader")
    r = await post_form(client, f"/notifications/{other.id}/read-matter", {}, token_from="/")
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        assert (await s.get(Notification, other.id)).read_at is None


async def test_a_department_head_sees_the_supervision_not_the_officers_work_unless_asked(client, db):
    await _seed(db)
    todo = _section(await _home(client, "jyj_head"), "tasks")
    assert "请加快办理" in todo and "办理并起草答复" not in todo
    assert "查看本部门事项" in todo
    assert "办理并起草答复" not in (await client.get("/inbox")).text
    department = (await client.get("/inbox", params={"scope": "all"})).text
    assert "办理并起草答复" in department and "确认收到申请" not in department  # its own department only
    office = _section(await _home(client, "gkb_head"), "tasks")
    assert "审签答复" in office and not any(word in office for word in OFFICERS)


async def test_officers_keep_acting_on_their_departments_work(client, db):
    await _seed(db)
    todo = _section(await _home(client, "gkb_officer"), "tasks")
    assert "确认收到申请" in todo and "归档" in todo and "督办" not in todo and "审签答复" not in todo
    assert "scope=all" not in todo
    assert 'name="scope"' not in (await client.get("/inbox")).text
