"""The calendar screens and the calculator, against the database calendar."""

from __future__ import annotations

import json
from datetime import datetime, time

from sqlmodel import select

from gongkai.clock import CST, ClockKind, ClockSpec, compute
from gongkai.workdays import bundled_calendar
from models import CalendarVersion
from tests.web.conftest import login, post_form


async def test_a_year_shows_as_a_month_grid_with_holidays_and_makeup_days(client):
    await login(client, "jyj_officer")
    page = await client.get("/calendar", params={"year": 2026})
    assert page.status_code == 200
    cal = bundled_calendar()
    for day in ("2026-10-01", "2026-10-07"):
        assert f'data-date="{day}" data-kind="holiday" title="国庆节"' in page.text
    makeups = [m.day.isoformat() for m in cal.arrangement(2026).makeup_workdays]
    for day in makeups:
        assert f'data-date="{day}" data-kind="makeup"' in page.text
    assert "国办发明电〔2025〕7号" in page.text
    assert "provisional-banner" not in page.text
    assert "calendar-form" not in page.text  # officers cannot edit


async def test_a_year_without_data_says_its_deadlines_are_provisional(client):
    await login(client, "jyj_officer")
    page = await client.get("/calendar", params={"year": 2027})
    assert "provisional-banner" in page.text and "暂定" in page.text


async def test_admin_edits_a_year_and_gets_a_new_version(client, db):
    await login(client, "admin")
    page = await client.get("/calendar", params={"year": 2027})
    assert "calendar-form" in page.text
    form = {"year": "2027", "region": "cn", "notice": "国务院办公厅关于2027年部分节假日安排的通知",
            "notice_number": "测试", "issued": "2026-11-01", "source": "",
            "holidays": "元旦 2027-01-01 2027-01-03\n春节 2027-02-05 2027-02-12",
            "makeups": "2027-02-14 春节", "note": "录入"}
    r = await post_form(client, "/calendar", form, token_from="/calendar?year=2027")
    assert r.status_code in (302, 303)
    page = await client.get("/calendar", params={"year": 2027})
    assert "provisional-banner" not in page.text
    assert 'data-date="2027-02-05" data-kind="holiday"' in page.text
    assert 'data-date="2027-02-14" data-kind="makeup"' in page.text
    # A correction is version 2, and the grid shows it.
    r = await post_form(client, "/calendar", {**form, "makeups": ""}, token_from="/calendar?year=2027")
    assert r.status_code in (302, 303)
    page = await client.get("/calendar", params={"year": 2027})
    assert 'data-date="2027-02-14" data-kind="weekend"' in page.text
    async with db.session_factory() as s:
        versions = [v.version for v in (await s.execute(select(CalendarVersion).where(
            CalendarVersion.year == 2027))).scalars()]
    assert sorted(versions) == [1, 2]
    # A bad line is a clear 400 with what was typed kept, and no new version.
    bad = await post_form(client, "/calendar", {**form, "holidays": "元旦 2027-13-01"},
                          token_from="/calendar?year=2027")
    assert bad.status_code == 400 and "不是有效日期" in bad.text and "2027-13-01" in bad.text
    async with db.session_factory() as s:
        assert len(list((await s.execute(select(CalendarVersion).where(CalendarVersion.year == 2027))).scalars())) == 2


async def test_admin_imports_a_year_from_a_file(client, db):
    await login(client, "admin")
    current = bundled_calendar().arrangement(2026).to_mapping()
    current["makeup_workdays"] = current["makeup_workdays"][:-1]
    files = {"file": ("2026.json", json.dumps(current, ensure_ascii=False).encode(), "application/json")}
    r = await post_form(client, "/calendar/import", {"year": "2026", "region": "cn"},
                        token_from="/calendar?year=2026", files=files)
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        latest = (await s.execute(select(CalendarVersion).where(CalendarVersion.year == 2026, CalendarVersion.region
                                                                == "cn").order_by(CalendarVersion.version.desc()))
                  ).scalars().first()
    assert latest.version == 2 and latest.origin == "import"
    bad = {"file": ("2026.toml", b"year = [", "application/toml")}
    r = await post_form(client, "/calendar/import", {"year": "2026", "region": "cn"},
                        token_from="/calendar?year=2026", files=bad)
    assert r.status_code == 400 and "导入失败" in r.text
    wrong_type = {"file": ("2026.exe", b"MZ", "application/octet-stream")}
    r = await post_form(client, "/calendar/import", {"year": "2026", "region": "cn"},
                        token_from="/calendar?year=2026", files=wrong_type)
    assert r.status_code == 400 and "只支持" in r.text


async def test_the_calculator_page_and_api_agree_with_the_clock(client):
    await login(client, "jyj_officer")
    expected = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20,
                                 start=datetime.combine(datetime(2026, 9, 25).date(), time(9), CST)),
                       bundled_calendar())
    api = await client.get("/api/deadline", params={"start": "2026-09-25", "n": 20})
    assert api.status_code == 200
    body = api.json()
    assert body["due_date"] == expected.last_day.isoformat() and body["provisional"] is False
    assert any("国庆节" in line for line in body["explanation"])
    page = await client.get("/deadline", params={"start": "2026-09-25", "n": 20})
    assert f'<span id="due-date">{expected.last_day.isoformat()}</span>' in page.text
    assert "国庆节假期，不计入" in page.text
    provisional = await client.get("/api/deadline", params={"start": "2026-12-20", "n": 20})
    assert provisional.json()["provisional"] is True and provisional.json()["provisional_years"] == [2027]
    bad = await client.get("/api/deadline", params={"start": "2026-02-30", "n": 20})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["message"]


async def test_any_year_has_its_own_address_and_a_year_without_a_notice_shows_the_statutory_days(client):
    """/calendar/2027: no 2027 notice yet, so the page is marked provisional and shows the 放假办法's
    holidays (元旦, 春节 from 除夕, ...) without any 调休."""
    await login(client, "jyj_officer")
    page = await client.get("/calendar/2027")
    assert page.status_code == 200
    assert 'id="provisional-banner" data-basis="statutory"' in page.text and "暂定" in page.text
    assert "暂按《全国年节及纪念日放假办法》法定节日计算，调休安排未公布" in page.text
    assert 'data-date="2027-01-01" data-kind="holiday" title="元旦"' in page.text
    for day in ("2027-02-05", "2027-02-08"):
        assert f'data-date="{day}" data-kind="holiday" title="春节"' in page.text
    assert 'data-kind="makeup"' not in page.text
    assert 'href="/calendar/2028?region=cn"' in page.text and 'href="/calendar/2026?region=cn"' in page.text
    known = await client.get("/calendar/2026")
    assert known.status_code == 200 and "provisional-banner" not in known.text and "国办发明电〔2025〕7号" in known.text
    far = await client.get("/calendar/2150")  # beyond the lunar tables: weekends only, and says so
    assert far.status_code == 200 and 'data-basis="weekends"' in far.text
    outside = await client.get("/calendar/3000")
    assert outside.status_code == 400 and "年份超出范围" in outside.text
