"""公开目录 (/catalogue): every signed-in user reads the 主动公开基本目录 with each entry's time limit under
the office's rules; administrators and the office head add, edit and deactivate entries (every
problem beside its field, the form kept), and import and export it as XLSX: a bad file names every
bad row and imports nothing; a good one creates or updates. Every change is audited."""

from __future__ import annotations

import io
import re
from html import unescape

from openpyxl import Workbook, load_workbook
from sqlalchemy import delete
from sqlmodel import col, select

from gongkai.catalogue import COLUMNS, starter_entries
from models import AuditEvent, CatalogueEntry, Department
from tests.web.conftest import login, post_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _entries(db) -> list[CatalogueEntry]:
    async with db.session_factory() as s:
        return list((await s.execute(select(CatalogueEntry).order_by(col(CatalogueEntry.id)))).scalars())


async def _audits(db, action: str) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


async def _department(db, name: str) -> int:
    async with db.session_factory() as s:
        dept = (await s.execute(select(Department).where(Department.name == name))).scalars().one()
        assert dept.id is not None
        return dept.id


def _errors(html: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'data-error-for="(\w+)">([^<]+)<', html)}


def _problems(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r"<li data-problem>([^<]+)</li>", html)]


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_list_shows_every_column_with_the_limit_under_the_offices_rules(client, db):
    await login(client, "jyj_officer")  # an officer reads the list
    r = await client.get("/catalogue")
    assert r.status_code == 200
    text = unescape(r.text)
    for entry in starter_entries():
        assert entry.name in text
    row = re.search(r'<tr data-entry="\d+" data-active="1">\s*<td data-name>转载上级政策信息.*?</tr>', text, re.S)
    assert row is not None
    assert "24小时" in row.group(0) and "各部门" in row.group(0) and "部门网站" in row.group(0)
    assert "主动公开" in row.group(0) and "需要" in row.group(0)
    general = re.search(r"<td data-name>部门预算和决算.*?</tr>", text, re.S)
    assert general is not None and "20个工作日" in general.group(0)
    assert 'id="catalogue-new"' not in text and 'data-edit=' not in text  # reads, does not keep
    assert 'id="nav-catalogue"' not in text
    filtered = unescape((await client.get("/catalogue?kind=penalty")).text)
    assert re.findall(r"<td data-name>([^<]+)<", filtered) == ["行政处罚决定（双公示）"]
    jyj = await _department(db, "区教育局")
    none = unescape((await client.get(f"/catalogue?department={jyj}")).text)
    assert 'id="catalogue-none"' in none and "<td data-name>" not in none


async def test_an_officer_may_not_add_edit_or_import(client, db):
    await login(client, "jyj_officer")
    entry = (await _entries(db))[0]
    for path in ("/catalogue/new", f"/catalogue/{entry.id}", "/catalogue/import"):
        assert (await client.get(path)).status_code == 403
    r = await post_form(client, f"/catalogue/{entry.id}/active", {"active": "0"}, token_from="/catalogue")
    assert r.status_code == 403
    r = await post_form(client, "/catalogue/new", {"name": "甲", "kind": "general", "channels": "gov_website",
                                                   "audience": "全社会"}, token_from="/catalogue")
    assert r.status_code == 403
    assert len(await _entries(db)) == len(starter_entries()) and (await _entries(db))[0].active


async def test_create_with_errors_keeps_the_form_then_creates_and_audits(client, db):
    await login(client, "gkb_head")  # the office head keeps the catalogue
    assert 'id="nav-catalogue"' in (await client.get("/catalogue")).text
    r = await post_form(client, "/catalogue/new", {"name": "", "content": "本局行政许可决定", "kind": "",
                                                   "audience": "全社会", "basis": "临沂市实施办法二(五)"})
    assert r.status_code == 400
    errors = _errors(r.text)
    assert set(errors) == {"name", "kind", "channels"}
    assert "本局行政许可决定" in r.text and "临沂市实施办法二(五)" in r.text
    jyj = await _department(db, "区教育局")
    form = {"name": "教育行政许可决定", "content": "本局行政许可决定", "kind": "licensing",
            "department_id": str(jyj), "channels": ["dept_website", "gov_website"], "audience": "全社会",
            "basis": "临沂市实施办法二(五)", "secrecy_review": "0"}
    r = await post_form(client, "/catalogue/new", form)
    assert r.status_code == 303
    made = [e for e in await _entries(db) if e.name == "教育行政许可决定"]
    assert len(made) == 1 and made[0].department_id == jyj and not made[0].secrecy_review
    assert made[0].channels == ["dept_website", "gov_website"] and made[0].created_by == "gkb_head"
    assert len(await _audits(db, "catalogue_created")) == 1
    again = await post_form(client, "/catalogue/new", form)  # the same name for the same 主体
    assert again.status_code == 400 and "同一主体已有同名条目" in _errors(again.text)["name"]


async def test_edit_and_deactivate_are_audited_and_nothing_is_deleted(client, db):
    await login(client, "admin")
    entry = next(e for e in await _entries(db) if e.kind == "repost")
    page = await client.get(f"/catalogue/{entry.id}")
    assert page.status_code == 200 and entry.name in unescape(page.text)
    form = {"name": entry.name, "content": entry.content, "basis": entry.basis, "kind": "repost",
            "department_id": "", "channels": ["dept_website", "new_media"], "audience": "全社会", "secrecy_review": "1"}
    bad = await post_form(client, f"/catalogue/{entry.id}", {**form, "audience": ""})
    assert bad.status_code == 400 and "audience" in _errors(bad.text)
    assert (await post_form(client, f"/catalogue/{entry.id}", form)).status_code == 303
    r = await post_form(client, f"/catalogue/{entry.id}/active", {"active": "0"}, token_from="/catalogue")
    assert r.status_code == 303
    after = next(e for e in await _entries(db) if e.id == entry.id)
    assert after.channels == ["dept_website", "new_media"] and not after.active and after.updated_by == "admin"
    updated = await _audits(db, "catalogue_updated")
    assert len(updated) == 1 and updated[0].detail["fields"] == ["channels"]
    assert len(await _audits(db, "catalogue_deactivated")) == 1
    listed = await client.get("/catalogue")
    assert re.search(rf'data-entry="{entry.id}" data-active="0"', listed.text)
    assert (await client.get("/catalogue/999999")).status_code == 404
    assert (await client.get("/catalogue/99999999999999999999")).status_code == 404
    assert (await client.get("/catalogue?department=99999999999999999999")).status_code == 200


async def test_export_then_import_round_trips_and_updates_instead_of_duplicating(client, db):
    await login(client, "admin")
    r = await client.get("/catalogue/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1 + len(starter_entries())
    before = [(e.name, e.kind, e.channels, e.department_id, e.secrecy_review) for e in await _entries(db)]
    same = await post_form(client, "/catalogue/import", {}, files={"file": ("catalogue.xlsx", r.content, XLSX)})
    assert same.status_code == 200 and re.search(r"新增 <span data-created>0</span> 条", same.text)
    assert re.search(rf"未变 <span data-unchanged>{len(starter_entries())}</span> 条", same.text)
    rows[1][1] = "修改后的内容"
    rows.append(["教育收费公示", "学校收费项目和标准", "临沂市实施办法二(五)", "10个工作日", "区教育局", "主动公开",
                 "部门网站", "全社会", "权责清单、收费目录等清单调整", "是"])
    r2 = await post_form(client, "/catalogue/import", {}, files={"file": ("c.xlsx", _xlsx(rows), XLSX)})
    assert r2.status_code == 200, _problems(r2.text)
    assert "已更新原条目而未重复新增" in unescape(r2.text)
    assert re.search(r"新增 <span data-created>1</span> 条，更新 <span data-updated>1</span> 条", r2.text)
    entries = await _entries(db)
    assert [(e.name, e.kind, e.channels, e.department_id, e.secrecy_review) for e in entries][:len(before)] == before
    assert entries[0].content == "修改后的内容"
    added = entries[-1]
    assert added.name == "教育收费公示" and added.department_id == await _department(db, "区教育局")
    assert len(await _audits(db, "catalogue_imported")) == 2


async def test_a_file_with_three_bad_rows_names_them_and_imports_nothing(client, db):
    await login(client, "gkb_head")
    header = ["名称", "内容", "依据", "时限", "主体", "方式", "渠道", "公开对象"]
    good = ["教育收费公示", "收费标准", "依据", "20个工作日", "区教育局", "主动公开", "政府网站", "全社会"]
    rows = [header, good, ["", *good[1:]], [*good[:4], "区财政局", *good[5:]],
            ["新条目", *good[1:6], "微博", "全社会"], ["另一条", *good[1:]]]
    before = await _entries(db)
    r = await post_form(client, "/catalogue/import", {}, files={"file": ("bad.xlsx", _xlsx(rows), XLSX)})
    assert r.status_code == 400
    problems = _problems(r.text)
    assert len(problems) == 3
    assert problems[0].startswith("第 3 行：名称为空")
    assert problems[1].startswith("第 4 行：主体“区财政局”")
    assert problems[2].startswith("第 5 行：未知的发布渠道“微博”")
    assert "目录没有任何改变" in unescape(r.text)
    assert len(await _entries(db)) == len(before)
    assert await _audits(db, "catalogue_imported") == []


async def test_a_file_that_is_not_an_xlsx_gets_a_clear_message(client, db):
    await login(client, "admin")
    r = await post_form(client, "/catalogue/import", {},
                        files={"file": ("目录.csv", "名称,内容\n甲,乙\n".encode(), "text/csv")})
    assert r.status_code == 400
    assert "文件不是 Excel 工作簿（.xlsx）" in _problems(r.text)[0]
    r = await post_form(client, "/catalogue/import", {}, files={"file": ("big.xlsx", b"x" * (2 * 1024 * 1024 + 10),
                                                                        XLSX)})
    assert r.status_code == 400 and "超过 2 MB" in _problems(r.text)[0]


async def test_the_starter_catalogue_loads_into_an_empty_catalogue_only(client, db):
    async with db.session_factory() as s:
        await s.execute(delete(CatalogueEntry))
        await s.commit()
    await login(client, "admin")
    empty = await client.get("/catalogue")
    assert 'id="catalogue-starter"' in empty.text
    r = await post_form(client, "/catalogue/starter", {}, token_from="/catalogue")
    assert r.status_code == 303 and r.headers["location"] == f"/catalogue?loaded={len(starter_entries())}"
    assert [e.name for e in await _entries(db)] == [e.name for e in starter_entries()]
    assert len(await _audits(db, "catalogue_starter_loaded")) == 1
    again = await post_form(client, "/catalogue/starter", {}, token_from="/catalogue/new")
    assert again.status_code == 409 and len(await _entries(db)) == len(starter_entries())


async def test_the_first_start_seeds_the_starter_catalogue_once(db):
    from shell.seed import seed_catalogue

    assert [e.name for e in await _entries(db)] == [e.name for e in starter_entries()]  # seeded at first start
    with db.sync_session() as session:
        assert seed_catalogue(session) == 0  # never again once the catalogue has entries
        session.commit()
    assert len(await _entries(db)) == len(starter_entries())
