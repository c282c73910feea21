"""The inbox and the supervisors' board, over cases started through the pages."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from sqlmodel import select

from gongkai.clock import CST
from models import Notification, Task, User
from tests.web.conftest import csrf, login, post_form


async def _register(client, db, received: str, name: str = "李四") -> str:
    async with db.session_factory() as s:
        me = (await s.execute(select(User).where(User.username == "jyj_officer"))).scalar_one()
    form = {"intake_channel": "in_person", "received_date": received, "department_id": str(me.department_id),
            "applicant_type": "commercial", "name": name, "id_doc_type": "business_license",
            # Each a different applicant: the same one asking the same again is warned of (重复申请).
            "id_doc_number": f"9111{uuid.uuid4().int % 10**13:013d}X", "phone": "010-12345678", "email": "",
            "address": "北京市",
            "description": "申请公开某地块的土地出让合同", "provision_form": "paper", "provision_channel": "post",
            "form_key": uuid.uuid4().hex}
    token = await csrf(client, "/disclosure/new")
    r = await client.post("/disclosure/new", data={**form, "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 201, r.text[:600]
    return r.headers["location"].split("/")[2].split("?")[0]


async def test_inbox_orders_by_due_colours_urgency_filters_and_claims(live, db):
    await login(live, "jyj_officer")
    today = datetime.now(CST).date()
    late = await _register(live, db, (today - timedelta(days=45)).isoformat(), "超期申请人")
    fresh = await _register(live, db, today.isoformat(), "新申请人")
    page = await live.get("/inbox")
    assert page.status_code == 200
    assert page.text.index(f'data-case="{late}"') < page.text.index(f'data-case="{fresh}"')
    assert f'data-case="{late}" data-urgency="overdue"' in page.text
    assert f'data-case="{fresh}" data-urgency="on_track"' in page.text
    only_late = await live.get("/inbox", params={"overdue": "true"})
    assert late in only_late.text and fresh not in only_late.text
    search = await live.get("/inbox", params={"q": "新申请"}, headers={"hx-request": "true",
                                                                       "hx-target": "inbox-results"})
    assert fresh in search.text and late not in search.text and "<html" not in search.text  # a fragment
    hostile = await live.get("/inbox", params={"q": "' OR 1=1 --"})
    assert hostile.status_code == 200 and late not in hostile.text
    board = await live.get("/inbox", params={"view": "board"})
    assert 'data-stage="review"' in board.text and late in board.text
    r = await post_form(live, f"/disclosure/{fresh}/claim?next=/inbox", {}, token_from="/inbox")
    assert r.status_code in (302, 303) and r.headers["location"] == "/inbox"
    mine = await live.get("/inbox", params={"mine": "true"})
    assert fresh in mine.text and late not in mine.text


async def test_board_groups_overdue_deadlines_and_supervision_reaches_the_head(live, db):
    await login(live, "jyj_officer")
    late = await _register(live, db, (datetime.now(CST).date() - timedelta(days=45)).isoformat())
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    assert (await live.get("/board")).status_code == 403
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "duban")
    board = await live.get("/board")
    assert board.status_code == 200 and 'data-department="区教育局"' in board.text
    assert f'data-deadline="{late}/reply"' in board.text and "已超期" in board.text
    r = await post_form(live, f"/disclosure/{late}/supervise?next=/board", {"note": "请本周内答复"},
                        token_from="/board")
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        head = (await s.execute(select(User).where(User.username == "jyj_head"))).scalar_one()
        tasks = list((await s.execute(select(Task).where(Task.case_id == late, Task.kind == "supervision"))).scalars())
        notes = list((await s.execute(select(Notification).where(Notification.case_id == late,
                                                                 Notification.user_id == head.id))).scalars())
    assert len(tasks) == 1 and tasks[0].role == "dept_head"
    assert any("督办" in n.title for n in notes)
    page = await live.get(f"/disclosure/{late}")
    assert 'data-action="supervised"' in page.text


async def test_annual_table_three_page_and_exports(live, db):
    import io

    from openpyxl import load_workbook

    await login(live, "jyj_officer")
    code = await _register(live, db, datetime.now(CST).date().isoformat())
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_officer")
    assert (await live.get("/report")).status_code == 403
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")
    year = datetime.now(CST).year
    page = await live.get("/report", params={"year": year})
    assert page.status_code == 200 and "invariants-ok" in page.text and code
    assert '<tr data-row="penalty"><td>第二十条第（六）项</td><td>行政处罚</td>' in page.text  # table 2 beside it
    new_row = '<tr data-row="new"><td class="indent-0">一、本年新收政府信息公开申请数量</td>'
    assert new_row + "<td>0</td><td>1</td>" in page.text  # one commercial applicant
    csv_body = (await live.get("/report/table3.csv", params={"year": year})).content.decode("utf-8-sig")
    assert csv_body.splitlines()[1].startswith("一、本年新收政府信息公开申请数量,0,1,0,0,0,0,1")
    xlsx = await live.get("/report/table3.xlsx", params={"year": year})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=3, column=1).value.startswith("一、") and sheet.cell(row=3, column=8).value == 1


async def test_the_board_pages_its_clocks_and_filters_by_department(client, db):
    """150 overdue clocks: the board lists the 100 most overdue, says how many each department has
    in all, pages to the rest, and shows one department alone; a filter that is not an id means all."""
    from sqlalchemy import insert

    from models import Deadline

    now = datetime.now(CST)
    rows = []
    for i in range(150):
        dept = 3 if i < 130 else 5
        due = now - timedelta(days=60) + timedelta(minutes=i)
        rows.append(dict(id=f"PI-2026-{i:06d}/publication", case_id=f"PI-2026-{i:06d}", workflow_id=f"PI-2026-{i:06d}",
                         process="publication", rule="proactive", label="主动公开期限", kind="working_days",
                         amount=20, department_id=dept, assignee_id=None, start_at=due - timedelta(days=28),
                         due_at=due, last_day=due.date(), state="running", provisional=False, level=1,
                         explanation=[], spec={}, version=1, updated_at=now))
    async with db.session_factory() as s:
        await s.execute(insert(Deadline), rows)
        await s.commit()
    await login(client, "duban")
    first = await client.get("/board")
    assert first.status_code == 200
    assert 'data-total="150"' in first.text and "第 1 / 2 页" in first.text
    assert first.text.count('data-deadline="PI-2026-') == 100
    assert 'data-deadline="PI-2026-000000/publication"' in first.text  # the most overdue first
    assert "区教育局（本页 100 / 共 130）" in first.text
    second = await client.get("/board", params={"page": 2})
    assert second.text.count('data-deadline="PI-2026-') == 50 and "区教育局（本页 30 / 共 130）" in second.text
    assert 'data-deadline="PI-2026-000149/publication"' in second.text
    one = await client.get("/board", params={"department": "5"})
    assert one.text.count('data-deadline="PI-2026-') == 20 and 'data-total="20"' in one.text
    assert "第 1 / 2 页" not in one.text and 'data-department="区教育局"' not in one.text
    for junk in ("", "abc", "-1", "99999999999999999999"):
        assert 'data-total="150"' in (await client.get("/board", params={"department": junk})).text
    assert (await client.get("/board", params={"page": 0})).status_code == 400


async def test_the_board_counts_the_years_clocks(client, db, monkeypatch):
    """Open and overdue counted afresh; the year's met and late reused for half a minute, then
    counted again."""
    from sqlalchemy import insert

    from models import Deadline
    from web import board

    now = datetime.now(CST)

    def clock(n: int, state: str, due: datetime) -> dict:
        return dict(id=f"PI-2026-{n:06d}/publication", case_id=f"PI-2026-{n:06d}", workflow_id=f"PI-2026-{n:06d}",
                    process="publication", rule="proactive", label="主动公开期限", kind="working_days", amount=20,
                    department_id=3, assignee_id=None, start_at=due - timedelta(days=28), due_at=due,
                    last_day=due.date(), state=state, provisional=False, level=0, explanation=[], spec={},
                    version=1, updated_at=now, closed_at=None if state == "running" else now)

    async def add(rows: list[dict]) -> None:
        async with db.session_factory() as s:
            await s.execute(insert(Deadline), rows)
            await s.commit()

    def counts(page: str) -> dict[str, int]:
        return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}

    await add([clock(1, "running", now - timedelta(days=2)), clock(2, "running", now + timedelta(days=9)),
               clock(3, "met", now), clock(4, "met", now), clock(5, "late", now)])
    await login(client, "duban")
    first = counts((await client.get("/board")).text)
    assert (first["open"], first["overdue"], first["met"], first["late"]) == (2, 1, 2, 1)
    await add([clock(6, "met", now), clock(7, "running", now - timedelta(hours=1))])
    again = counts((await client.get("/board")).text)
    assert (again["open"], again["overdue"], again["met"]) == (3, 2, 2)  # met: as counted a moment ago
    monkeypatch.setattr(board, "CLOSED_FRESH", 0.0)
    assert counts((await client.get("/board")).text)["met"] == 3
