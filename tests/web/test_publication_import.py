"""批量导入公开事项: a department's month of penalty decisions from one CSV file. Every item opens
once; the same file again opens none and says so; a file with bad rows lists them and opens nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import func, select

from gongkai import publication_import as csv_rows
from gongkai.clock import CST
from gongkai.errors import InvalidInput
from models import IntakeKey, PublicationItem
from tests.web.conftest import login, post_form

DAY = (datetime.now(CST) - timedelta(days=1)).date().isoformat()


def _csv(n: int, *, bad: dict[int, dict[str, str]] | None = None, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_rows.COLUMNS)
    for i in range(n):
        row = {"事项名称": f"行政处罚决定 {i + 1}", "类别": "行政处罚决定（双公示）", "责任部门": "JYJ",
               "发生时间": DAY, "发布渠道": "部门网站、政府网站", "保密审查": "否",
               "业务编号": f"教罚〔2026〕{i + 1}号", "内容": ""}
        row.update((bad or {}).get(i, {}))
        writer.writerow([row[c] for c in csv_rows.COLUMNS])
    return out.getvalue().encode(encoding)


async def _count(db, model) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


def test_every_bad_row_is_named_and_none_is_read():
    departments = {"JYJ": 1, "区教育局": 1, "ZRZY": 2}
    data = _csv(10, bad={2: {"类别": "奖励"}, 5: {"发生时间": "九月"}, 7: {"业务编号": "教罚〔2026〕1号"}})
    with pytest.raises(InvalidInput) as refused:
        csv_rows.read(csv_rows.decode(data), departments, today=datetime.now(CST).date())
    problems = refused.value.detail["problems"]
    assert [p.split("：")[0] for p in problems] == ["第 4 行", "第 7 行", "第 9 行"]
    assert "类别“奖励”" in problems[0] and "九月" in problems[1] and "与第 2 行重复" in problems[2]
    # Excel in Chinese saves CSV as GBK: read the same.
    rows = csv_rows.read(csv_rows.decode(_csv(3, encoding="gb18030")), departments, today=datetime.now(CST).date())
    assert [r.channels for r in rows] == [("dept_website", "gov_website")] * 3
    with pytest.raises(InvalidInput, match="只能导入本部门"):
        csv_rows.read(csv_rows.decode(_csv(1)), departments, today=datetime.now(CST).date(), own_department=2)


@pytest.mark.slow
async def test_a_500_row_file_opens_each_item_once_and_twice_opens_none(live, db):
    await login(live, "jyj_officer")
    data = _csv(500)
    first = await post_form(live, "/publication/import", {}, files={"file": ("penalties.csv", data, "text/csv")})
    assert first.status_code == 201, first.text[:500]
    assert re.search(r'data-new="500" data-existing="0"', first.text)
    assert await _count(db, IntakeKey) == 500
    for _ in range(600):  # every workflow projects its item (the worker runs beside this client)
        if await _count(db, PublicationItem) == 500:
            break
        await asyncio.sleep(0.2)
    assert await _count(db, PublicationItem) == 500
    async with db.session_factory() as s:
        keys = set((await s.execute(select(PublicationItem.external_key))).scalars())
    assert len(keys) == 500

    again = await post_form(live, "/publication/import", {}, files={"file": ("penalties.csv", data, "text/csv")})
    assert again.status_code == 200 and 'data-new="0" data-existing="500"' in again.text
    assert "500 件此前已导入过" in again.text
    assert await _count(db, IntakeKey) == 500 and await _count(db, PublicationItem) == 500


async def test_a_file_with_three_bad_rows_opens_nothing(live, db):
    await login(live, "jyj_officer")
    data = _csv(20, bad={3: {"责任部门": "不存在的局"}, 10: {"发布渠道": "报纸"}, 15: {"事项名称": ""}})
    refused = await post_form(live, "/publication/import", {}, files={"file": ("bad.csv", data, "text/csv")})
    assert refused.status_code == 400
    assert "有 3 行有问题，未导入任何事项" in refused.text
    assert re.findall(r"<li data-problem>第 (\d+) 行", refused.text) == ["5", "12", "17"]
    assert await _count(db, IntakeKey) == 0
    other = await post_form(live, "/publication/import", {}, files={"file": ("x.csv", b"\x00\xff\xfe", "text/csv")})
    assert other.status_code == 400


async def test_only_staff_of_departments_import(live):
    await login(live, "duban")
    refused = await live.get("/publication/import/")
    assert refused.status_code == 403


async def test_the_assessment_figures_count_the_imported_items(live, db):
    """Three decisions of 40 days ago, unpublished: open and overdue on the statistics page and in
    its Excel export; officers do not see the page."""
    from openpyxl import load_workbook

    await login(live, "jyj_officer")
    day = (datetime.now(CST) - timedelta(days=40)).date().isoformat()
    data = _csv(3, bad={i: {"发生时间": day} for i in range(3)})
    assert (await post_form(live, "/publication/import", {},
                            files={"file": ("p.csv", data, "text/csv")})).status_code == 201
    for _ in range(300):
        async with db.session_factory() as s:
            from models import Deadline
            due = (await s.execute(select(func.count()).select_from(Deadline).where(
                Deadline.process == "publication"))).scalar_one()
        if due == 3:
            break
        await asyncio.sleep(0.2)
    assert (await live.get("/publication/stats/")).status_code == 403
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")
    year = int(day[:4])
    page = await live.get("/publication/stats/", params={"year": year})
    assert page.status_code == 200
    row = re.search(rf'<tr data-department="\d+" data-month="{day[:7]}">(.*?)</tr>', page.text)
    assert row and '<td data-open>3</td><td data-overdue>3</td>' in row.group(1)
    xlsx = await live.get("/publication/stats/stats.xlsx", params={"year": year})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[3]][1:8] == [day[:7], 3, 0, 0, 3, 3, 0]
