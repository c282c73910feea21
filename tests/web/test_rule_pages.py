"""时限规则 (/admin/rules): administrators see every rule in force, change one with a required
reason (a new version, with who, why and what in the history), export the profile as TOML and
import one; every refusal is a 4xx naming the problem (beside its field, or with its line), and
nothing is saved. Each saved version and each apply is audited."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from sqlmodel import col, select

import web.rules as web_rules
from gongkai import rule_store
from gongkai.clock import CST
from gongkai.profiles import read_profile
from gongkai.recompute import Move
from gongkai.rule_store import book_of, latest
from models import AuditEvent, RuleVersion
from tests.web.conftest import login, post_form
from web.recompute import Applied

PAGE = "/admin/rules"


@pytest.fixture(autouse=True)
def fresh_books():
    """rule_store caches each version's book by (profile, number) for the process's life; every
    test has a new database whose version 2 is not the last test's."""
    rule_store._books.clear()
    yield
    rule_store._books.clear()


async def _versions(db) -> list[RuleVersion]:
    async with db.session_factory() as s:
        await latest(s)
        return list((await s.execute(select(RuleVersion).order_by(col(RuleVersion.number)))).scalars())


async def _audits(db, action: str) -> list[AuditEvent]:
    async with db.session_factory() as s:
        return list((await s.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


def _form(**changes: str) -> dict[str, str]:
    """The reply rule's form as the page fills it in, with `changes`."""
    form = {"label": "依申请公开答复期限", "amount": "20", "kind": "working_days", "anchor": "", "applies": "1",
            "source": "《政府信息公开条例》第三十三条（A05）",
            "ladder": "-5wd assignee 0\n-2wd assignee 0\n-0wd assignee 0\ndue supervisor 1 task\n+3wd leader 2 task",
            "reason": "", "base": "1"}
    return {**form, **changes}


def _errors(html: str, field: str) -> list[str]:
    return [unescape(m) for m in re.findall(rf'data-error-for="{field}">([^<]+)<', html)]


def _problems(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r"<li data-problem>([^<]+)</li>", html)]


async def test_the_table_shows_every_rule_in_force_and_says_the_profile_is_the_shipped_one(client, db):
    await login(client, "admin")
    r = await client.get(PAGE)
    assert r.status_code == 200
    async with db.session_factory() as s:
        book = book_of(await latest(s))
    for rule in book.rules.values():
        assert f'data-rule="{rule.name}"' in r.text and unescape(rule.label) in unescape(r.text)
    row = re.search(r'<tr data-rule="reply".*?</tr>', r.text, re.S)
    assert row is not None
    reply = unescape(row.group(0))
    assert "20个工作日" in reply and "到期前5个工作日提醒经办人" in reply
    assert "到期时报督办人员督办（生成待办任务）" in reply
    assert "第三十三条" in reply and "第 1 版" in reply and 'href="/admin/rules/reply"' in reply
    shipped = unescape(re.search(r'id="shipped-profile">(.*?)</div>', r.text, re.S).group(1))  # type: ignore[union-attr]
    assert "随系统发布的“全国通用规则”" in shipped and "GONGKAI_PROFILE" in shipped
    assert 'data-version="1"' in r.text and "全国通用规则" in r.text
    for link in ("/admin/rules/history", "/admin/rules/export", "/admin/rules/import", "/admin/rules/apply"):
        assert f'href="{link}"' in r.text
    assert 'id="nav-rules"' in r.text


async def test_an_edit_with_a_reason_makes_version_2_and_the_history_shows_who_why_and_what(client, db):
    await login(client, "admin")
    form = await client.get(f"{PAGE}/reply")
    assert form.status_code == 200 and 'name="base" value="1"' in form.text and "-5wd assignee 0" in form.text
    r = await post_form(client, f"{PAGE}/reply", _form(amount="15", reason="本机关方案压缩为15个工作日"))
    assert r.status_code == 303 and r.headers["location"] == "/admin/rules/history?saved=2"
    history = await client.get(r.headers["location"])
    text = unescape(re.sub(r"<[^>]+>", "", history.text))
    assert "已保存为第 2 版。在办案件仍按原规则计时，如需适用请点击“适用于在办案件”" in text
    row = unescape(re.search(r'<tr data-version="2".*?</tr>', history.text, re.S).group(0))  # type: ignore[union-attr]
    assert "系统管理员" in row and "页面修改" in row and "本机关方案压缩为15个工作日" in row
    assert "“依申请公开答复期限”的期限：20个工作日 → 15个工作日" in row
    assert '<tr data-version="1" data-origin="shipped">' in history.text
    assert history.text.index('data-version="2"') < history.text.index('data-version="1" ')  # newest first

    versions = await _versions(db)
    assert [v.number for v in versions] == [1, 2]
    rule = book_of(versions[1]).rules["reply"]
    assert rule.amount == 15 and rule.version == 2 and "本机关方案压缩为15个工作日" in rule.note
    assert versions[1].created_by == "admin" and versions[1].origin == "ui"
    (event,) = await _audits(db, "rules_saved")
    assert event.case_id == "admin" and "第 2 版" in event.summary and "依申请公开答复期限" in event.summary
    assert event.detail["version"] == 2 and event.detail["rules"] == ["reply"]
    assert "时限规则保存为第 2 版" in unescape((await client.get("/admin/audit")).text)  # 操作记录
    table = await client.get(PAGE)
    assert 'data-version="2"' in table.text and "15个工作日" in table.text


async def test_bad_input_is_refused_beside_each_field_all_at_once_and_nothing_is_saved(client, db):
    await login(client, "admin")
    bad = _form(amount="-3", label="", ladder="-2wd nobody 0\ndue supervisor 1 task\nsoon assignee", reason="")
    r = await post_form(client, f"{PAGE}/reply", bad)
    assert r.status_code == 400
    assert _errors(r.text, "amount") == ["期限不能为负数（-3）"]
    assert _errors(r.text, "label") == ["名称不能为空"]
    assert _errors(r.text, "reason")[0].startswith("请填写修改原因")
    ladder = _errors(r.text, "ladder")
    assert any("第 3 行" in m and "soon assignee" in m for m in ladder)
    assert any("未知的提醒对象“nobody”" in m for m in ladder)
    assert "-2wd nobody 0" in unescape(r.text)  # the form comes back as typed

    impossible = await post_form(client, f"{PAGE}/reply", _form(ladder="-25wd assignee 0", reason="试一下"))
    assert impossible.status_code == 400
    assert "早于起算日" in _errors(impossible.text, "ladder")[0]
    zero = await post_form(client, f"{PAGE}/authoritative_release",
                           {**_form(reason="试一下"), "label": "重大突发事件权威信息发布", "kind": "hours",
                            "amount": "0", "anchor": "event", "ladder": "due supervisor 1 task"})
    assert zero.status_code == 400 and "不能为 0" in _errors(zero.text, "amount")[0]
    same = await post_form(client, f"{PAGE}/reply", _form(reason="没有改"))
    assert same.status_code == 400 and "规则没有变化" in unescape(same.text)
    assert [v.number for v in await _versions(db)] == [1]
    assert await _audits(db, "rules_saved") == []


async def test_a_stale_base_is_a_conflict_and_nothing_is_saved(client, db):
    await login(client, "admin")
    first = await post_form(client, f"{PAGE}/reply", _form(amount="18", reason="第一次修改"))
    assert first.status_code == 303
    stale = await post_form(client, f"{PAGE}/reply", _form(amount="12", reason="在旧页面上修改", base="1"))
    assert stale.status_code == 409 and "当前为第 2 版" in unescape(stale.text)
    assert "在旧页面上修改" in unescape(stale.text)  # the form comes back
    assert [v.number for v in await _versions(db)] == [1, 2]


async def test_only_administrators_open_the_rules_pages(client):
    await login(client, "jyj_officer")
    for path in (PAGE, f"{PAGE}/reply", f"{PAGE}/history", f"{PAGE}/export", f"{PAGE}/import", f"{PAGE}/apply"):
        r = await client.get(path)
        assert r.status_code == 403, path
    page = await client.get("/")
    assert 'id="nav-rules"' not in page.text
    r = await post_form(client, f"{PAGE}/reply", _form(amount="5", reason="越权"), token_from="/")
    assert r.status_code == 403


async def test_an_unknown_rule_is_a_404(client):
    await login(client, "admin")
    r = await client.get(f"{PAGE}/no_such_rule")
    assert r.status_code == 404 and "未知的期限规则" in r.text


async def test_export_downloads_a_toml_file_that_read_profile_accepts(client, db):
    await login(client, "admin")
    r = await client.get(f"{PAGE}/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/toml")
    assert 'filename="gongkai-rules-national-v1.toml"' in r.headers["content-disposition"]
    assert r.text.startswith("# 全国通用规则（national）时限规则第 1 版")
    async with db.session_factory() as s:
        book = book_of(await latest(s))
    profile = read_profile(r.text, book.rules)
    assert profile.key == "national" and profile.name == "全国通用规则"
    assert {n: r.terms() for n, r in profile.rules.items()} == {n: r.terms() for n, r in book.rules.items()}


async def _import(client, text: str | bytes, reason: str = "按本地方案导入", name: str = "rules.toml"):
    content = text.encode("utf-8") if isinstance(text, str) else text
    return await post_form(client, f"{PAGE}/import", {"reason": reason, "base": "1"},
                           files={"file": (name, content, "application/toml")})


async def test_import_of_a_bad_file_names_each_problem_and_its_line_and_saves_nothing(client, db):
    await login(client, "admin")
    unknown_key = '[rules.reply]\namount = 10\ndeadline = "soon"\n'
    r = await _import(client, unknown_key)
    assert r.status_code == 400
    assert any(p.startswith("第 3 行") and "未知的键“deadline”" in p for p in _problems(r.text))
    negative = '[rules.reply]\n\namount = -4\n'
    r = await _import(client, negative)
    assert r.status_code == 400 and any(p.startswith("第 3 行") and "负数" in p for p in _problems(r.text))
    role = ('[rules.reply]\nladder = [\n  { when = "-2wd", to = "assignee", level = 0 },\n'
            '  { when = "due", to = "mayor", level = 1 },\n]\n')
    r = await _import(client, role)
    assert r.status_code == 400 and any(p.startswith("第 4 行") and "mayor" in p for p in _problems(r.text))
    not_toml = "this is not toml\n[rules\n"
    r = await _import(client, not_toml, name="notes.txt")
    assert r.status_code == 400 and any(p.startswith("第 1 行") and "TOML" in p for p in _problems(r.text))
    unknown_rule = "[rules.coffee_break]\namount = 1\n"
    r = await _import(client, unknown_rule)
    assert r.status_code == 400 and any("未知的规则“coffee_break”" in p for p in _problems(r.text))
    r = await _import(client, "\xff\xfe[rules]".encode("latin-1"))
    assert r.status_code == 400 and any("UTF-8" in p for p in _problems(r.text))
    r = await _import(client, b"[rules.reply]\n# \xe9\n")
    assert r.status_code == 400 and any("第 2 行" in p and "UTF-8" in p for p in _problems(r.text))
    r = await _import(client, "  \n")
    assert r.status_code == 400 and "文件是空的" in _problems(r.text)
    r = await _import(client, "# " + "x" * (256 * 1024) + "\n")
    assert r.status_code == 400 and any("文件过大" in p for p in _problems(r.text))
    r = await _import(client, "[rules.reply]\namount = 10\n", reason="")
    assert r.status_code == 400 and "请填写导入原因" in _problems(r.text)
    assert "请填写导入原因" not in _problems((await _import(client, unknown_key, reason="有原因")).text)
    assert [v.number for v in await _versions(db)] == [1]
    assert await _audits(db, "rules_saved") == []


async def test_import_of_a_good_file_makes_a_version(client, db):
    await login(client, "admin")
    text = '# 临沂市方案\n[rules.list_adjustment]\namount = 10\nsource = "临沂市实施方案 二(五)"\n'
    r = await _import(client, text, reason="执行临沂市方案")
    assert r.status_code == 303 and r.headers["location"] == "/admin/rules/history?saved=2"
    versions = await _versions(db)
    assert [v.number for v in versions] == [1, 2] and versions[1].origin == "import"
    rule = book_of(versions[1]).rules["list_adjustment"]
    assert rule.amount == 10 and rule.source == "临沂市实施方案 二(五)" and rule.version == 2
    assert book_of(versions[1]).rules["reply"].version == 1  # untouched rules keep their version
    history = unescape((await client.get(r.headers["location"])).text)
    assert "导入" in history and "执行临沂市方案" in history and "20个工作日 → 10个工作日" in history
    (event,) = await _audits(db, "rules_saved")
    assert event.detail["origin"] == "import" and "rules.toml" in event.summary


async def test_the_apply_page_previews_and_applies_with_an_audit_row(client, db):
    await login(client, "admin")
    assert (await post_form(client, f"{PAGE}/reply", _form(amount="15", reason="缩短"))).status_code == 303
    preview = await client.get(f"{PAGE}/apply?version=2")
    assert preview.status_code == 200 and "将第 2 版规则适用于在办案件" in preview.text
    assert 'id="no-cases"' in preview.text and "没有在办案件受第 2 版规则影响" in preview.text
    missing = await client.get(f"{PAGE}/apply?version=9")
    assert missing.status_code == 404
    r = await post_form(client, f"{PAGE}/apply", {"version": "2"}, token_from=f"{PAGE}/history")
    # No Temporal in this client: the apply is refused, clearly, and nothing is audited.
    assert r.status_code == 409 and "工作流服务暂时无法连接" in r.text
    assert await _audits(db, "rules_applied") == []


async def test_applying_with_temporal_is_audited(live, db):
    await login(live, "admin")
    r = await post_form(live, f"{PAGE}/apply", {"version": "1"}, token_from=f"{PAGE}/apply")
    assert r.status_code == 200 and 'id="applied"' in r.text
    (event,) = await _audits(db, "rules_applied")
    assert event.case_id == "admin" and "第 1 版" in event.summary and event.detail["version"] == 1


def _moves(version: int) -> list[Move]:
    """What a preview of `version` finds: two deadlines of one case, one of another."""
    day = lambda d, h=0: datetime(2026, 12, d, h, tzinfo=CST)  # noqa: E731
    return [Move("GK-2026-0001", "GK-2026-0001", "disclosure", "申请公开老旧小区改造清单", "GK-2026-0001/reply",
                 "reply", "依申请公开答复期限", day(31, 23), day(24, 23), 7),
            Move("GK-2026-0001", "GK-2026-0001", "disclosure", "申请公开老旧小区改造清单", "GK-2026-0001/x",
                 "list_adjustment", "清单调整公开期限", day(10, 23), None, 7, cancelled=True),
            Move("SJ-2026-0002", "SJ-2026-0002", "incident", "某路段塌陷", "SJ-2026-0002/authoritative_release",
                 "authoritative_release", "重大突发事件权威信息发布", day(3, 12), day(3, 10), 8)]


async def test_the_preview_lists_each_case_its_deadlines_and_how_far_they_move(client, monkeypatch):
    async def preview(session, row):
        return _moves(row.number)

    monkeypatch.setattr(web_rules, "preview_rules", preview)
    await login(client, "admin")
    r = await client.get(f"{PAGE}/apply")  # the version in force by default
    assert r.status_code == 200 and "将第 1 版规则适用于在办案件" in r.text
    assert 'data-cases="2" data-deadlines="3"' in r.text
    rows = {m.group(1): unescape(m.group(0)) for m in re.finditer(
        r'<tr data-case="[^"]+" data-deadline="([^"]+)">.*?</tr>', r.text, re.S)}
    reply = rows["GK-2026-0001/reply"]
    assert 'href="/disclosure/GK-2026-0001"' in reply and "申请公开老旧小区改造清单" in reply
    assert re.search(r"data-shift>提前 5 个工作日<", reply)  # 25, 28, 29, 30, 31 December
    assert re.search(r"data-shift>新规则不适用：停止计时<", rows["GK-2026-0001/x"])
    assert "/disclosure/" not in rows["GK-2026-0001/x"]  # the case's link is on its first row only
    incident = rows["SJ-2026-0002/authoritative_release"]
    assert 'href="/incidents/SJ-2026-0002"' in incident and "某路段塌陷" in incident
    assert re.search(r"data-shift>提前 2 小时<", incident)
    assert 'id="apply-form"' in r.text and 'name="version" value="1"' in r.text and "确认适用" in r.text


async def test_applying_reports_the_cases_moved_and_those_that_failed(live, db, monkeypatch):
    async def apply(client, session, row, actor):
        assert actor.username == "admin" and row.number == 1
        return Applied(cases=1, moved=2, failed=["SJ-2026-0002：案件已办结"])

    monkeypatch.setattr(web_rules, "apply_rules", apply)
    await login(live, "admin")
    r = await post_form(live, f"{PAGE}/apply", {"version": "1"}, token_from=f"{PAGE}/apply")
    assert r.status_code == 200
    assert 'data-cases="1" data-moved="2" data-failed="1"' in r.text and "SJ-2026-0002：案件已办结" in r.text
    (event,) = await _audits(db, "rules_applied")
    assert "1 件案件，调整 2 个期限，1 件未能调整" in event.summary
    assert event.detail["failed"] == ["SJ-2026-0002：案件已办结"]


def test_the_form_gives_back_every_shipped_rule_unchanged():
    """What the edit form shows for a rule reads back as the same rule, ladders with channels too."""
    from dataclasses import replace

    from gongkai.profiles import default_rules
    from gongkai.rules import Rung
    from web.rules import form_of, parse_ladder, rule_of_form

    rules = dict(default_rules())
    rules["reply"] = replace(rules["reply"], ladder=(*rules["reply"].ladder,
                                                     Rung("+5wd:principal_head", "+5wd", "principal_head", 2, True,
                                                          ("email", "group"))))
    for rule in rules.values():
        back, problems = rule_of_form(rule, form_of(rule))
        assert problems == {} and back.terms() == rule.terms(), rule.name
    rungs, unreadable = parse_ladder("# 注释\n\n-2wd assignee 0  # 两天前\ndue supervisor 1 task channels=email\n"
                                     "-1wd assignee\nlater leader 2 urgent")
    assert [(r.when, r.to, r.level, r.task, r.channels) for r in rungs] == [
        ("-2wd", "assignee", 0, False, ()), ("due", "supervisor", 1, True, ("email",))]
    assert unreadable[0].startswith("第 5 行") and unreadable[1].startswith("第 6 行") and "urgent" in unreadable[1]
