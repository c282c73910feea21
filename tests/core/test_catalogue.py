"""The catalogue's rows without the web (gongkai/catalogue.py): a sheet in the columns offices use is
read row by row, every bad row is named with its row number and what is wrong, nothing is guessed;
what the system writes it reads back unchanged; the starter catalogue is valid and cites table B."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from gongkai.catalogue import (
    COLUMNS,
    EACH_DEPARTMENT,
    Entry,
    entry_of_form,
    limit_text,
    parse_rows,
    read_xlsx,
    sheet_row,
    starter_entries,
    write_xlsx,
)
from gongkai.clock import ClockKind
from gongkai.errors import InvalidInput
from gongkai.publication import KINDS
from gongkai.rules import Rule

DEPARTMENTS = {"区教育局": 3, "区卫生健康委": 5}
# Here only penalties have 7 WD, so a sheet without 类别 can name them by their limit (under 临沂's
# profile licensing shares it, and such a sheet must say 类别).
LIMITS = {"general": "20个工作日", "licensing": "20个工作日", "penalty": "7个工作日", "coercion": "20个工作日",
          "list_adjustment": "10个工作日",
          "meeting_decision": "1个工作日", "handling_result": "1个月", "repost": "24小时",
          "state_capital_budget": "20日", "normative": "15个工作日", "gazette": "20个工作日"}
OFFICE = ["名称", "内容", "依据", "时限", "主体", "方式", "渠道", "公开对象"]  # an office's own sheet


def _row(name="行政处罚决定", limit="7个工作日", subject="区教育局", channels="部门网站、政府网站", **extra) -> list:
    return [name, "处罚决定书主要内容", "临沂市实施办法二(五)", limit, subject, "主动公开", channels, "全社会",
            *extra.values()]


def test_an_offices_own_sheet_is_read_with_the_kind_its_limit_names():
    entries, problems = parse_rows([OFFICE, _row(), _row("政府常务会议议定事项", "1个工作日", EACH_DEPARTMENT,
                                                     "政府网站，政务新媒体")], DEPARTMENTS, LIMITS)
    assert problems == []
    (n1, penalty), (n2, meeting) = entries
    assert (n1, n2) == (2, 3)
    assert penalty == Entry(name="行政处罚决定", kind="penalty", channels=["dept_website", "gov_website"],
                            content="处罚决定书主要内容", basis="临沂市实施办法二(五)", department_id=3)
    assert meeting.kind == "meeting_decision" and meeting.department_id is None
    assert meeting.channels == ["gov_website", "new_media"] and meeting.secrecy_review


def test_every_kind_of_bad_row_is_named_with_its_row_number_and_every_problem():
    rows = [OFFICE,
            _row(),                                            # 2: good
            _row(subject="区财政局"),                          # 3: unknown department
            _row(channels="政府网站、微博"),                   # 4: unknown channel
            _row(name="清单调整", limit="10个工作日"),         # 5: two kinds share 10 WD under LIMITS2
            _row(name="不知道", limit="3个工作日"),            # 6: a limit no kind has
            _row(name=""),                                     # 7: empty name
            ["", "", "", "", "", "", "", ""],                  # 8: blank line: skipped
            _row(),                                            # 9: duplicate of row 2
            _row(name="新闻", subject="", channels=""),        # 10: two problems at once
            ]
    LIMITS2 = {**LIMITS, "normative": "10个工作日"}
    entries, problems = parse_rows(rows, DEPARTMENTS, LIMITS2)
    assert [n for n, _ in entries] == [2]
    found = {p.row: p.messages for p in problems}
    assert sorted(found) == [3, 4, 5, 6, 7, 9, 10]
    assert "主体“区财政局”不是本系统的部门" in found[3][0]
    assert "未知的发布渠道“微博”" in found[4][0]
    assert "对应多个类别" in found[5][0] and "请填写类别" in found[5][0]
    assert "不对应任何类别" in found[6][0]
    assert found[7] == ["名称为空"]
    assert found[9] == ["与第 2 行重复（名称和主体相同）"]
    assert len(found[10]) == 2 and "请填写主体" in found[10][0] and "请填写渠道" in found[10][1]
    assert problems[0].text().startswith("第 3 行：")


def test_a_limit_the_general_rule_shares_with_other_kinds_reads_as_general():
    limits = {**LIMITS, "licensing": "20个工作日", "penalty": "20个工作日"}  # a profile without the 7 WD rule
    entries, problems = parse_rows([OFFICE, _row(limit="20个工作日")], DEPARTMENTS, limits)
    assert problems == [] and entries[0][1].kind == "general"


def test_category_and_secrecy_columns_are_checked_too():
    header = [*OFFICE, "类别", "保密审查"]
    rows = [header, _row(a="规范性文件", b="否"), _row(name="乙", a="没有的类别", b="是"),
            _row(name="丙", a="normative", b="也许"), _row(name="丁", limit="", a="", b=""),
            [*_row(name="戊")[:5], "依申请公开", *_row()[6:], "", ""]]
    entries, problems = parse_rows(rows, DEPARTMENTS, LIMITS)
    assert [(n, e.kind, e.secrecy_review) for n, e in entries] == [(2, "normative", False)]
    found = {p.row: " ".join(p.messages) for p in problems}
    assert "类别“没有的类别”不是已知的类别" in found[3]
    assert "保密审查“也许”应为“是”或“否”" in found[4]
    assert "请填写类别或时限" in found[5]
    assert "方式“依申请公开”无效" in found[6]


@pytest.mark.parametrize("rows, message", [
    ([], "文件为空"),
    ([["名称", "内容"], ["甲", "乙"]], "表头缺少列：主体、渠道、时限"),
    ([OFFICE], "没有目录行"),
])
def test_a_sheet_without_its_header_or_rows_is_refused_whole(rows, message):
    with pytest.raises(InvalidInput) as caught:
        parse_rows(rows, DEPARTMENTS, LIMITS)
    assert message in caught.value.message


def test_what_the_system_writes_it_reads_back_unchanged():
    entries = starter_entries()
    entries[0].department_id, entries[1].secrecy_review = 3, False
    names = {3: "区教育局"}
    data = write_xlsx(sheet_row(e, names.get(e.department_id, EACH_DEPARTMENT) if e.department_id else
                                EACH_DEPARTMENT, LIMITS[e.kind]) for e in entries)
    rows = read_xlsx(data)
    assert rows[0] == list(COLUMNS)
    back, problems = parse_rows(rows, DEPARTMENTS, LIMITS)
    assert problems == [] and [e for _, e in back] == entries


def test_a_file_that_is_not_an_xlsx_or_too_large_is_refused_with_a_message():
    with pytest.raises(InvalidInput, match="不是 Excel 工作簿"):
        read_xlsx("名称,内容\n甲,乙\n".encode())
    with pytest.raises(InvalidInput, match="不是有效的 Excel 工作簿"):
        import zipfile
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("hello.txt", "not a workbook")
        read_xlsx(out.getvalue())
    with pytest.raises(InvalidInput, match="超过 2 MB"):
        read_xlsx(b"x" * (2 * 1024 * 1024 + 1))
    book = Workbook()
    assert book.active is not None
    book.active.append(OFFICE)
    out = io.BytesIO()
    book.save(out)
    assert read_xlsx(out.getvalue()) == [OFFICE]


def test_a_form_reports_every_problem_at_once():
    entry, errors = entry_of_form({"name": " ", "kind": "x", "department_id": "99", "audience": "",
                                   "channels": ["gov_website", "fax"]}, [3, 5])
    assert set(errors) == {"name", "kind", "department_id", "audience", "channels"}
    assert "fax" in errors["channels"]
    entry, errors = entry_of_form({"name": "甲", "kind": "repost", "department_id": "", "audience": "全社会",
                                   "channels": "dept_website", "secrecy_review": "0"}, [3])
    assert errors == {} and entry.department_id is None and entry.channels == ["dept_website"]
    assert not entry.secrecy_review


def test_the_starter_catalogue_covers_table_b_and_cites_it():
    entries = starter_entries()
    assert 12 <= len(entries) <= 15
    assert {e.kind for e in entries} == set(KINDS)
    assert all(e.basis and e.department_id is None for e in entries)
    double = [e for e in entries if e.kind in {"licensing", "penalty"}]
    assert double and all(set(e.channels) == {"dept_website", "gov_website"} for e in double)
    assert len({e.name for e in entries}) == len(entries)


def test_limits_are_said_as_offices_say_them():
    rule = Rule("x", "x", ClockKind.WORKING_DAYS, 0, "", ())
    assert limit_text(rule) == "当日"
    assert limit_text(Rule("x", "x", ClockKind.HOURS, 24, "", ())) == "24小时"
    assert limit_text(Rule("x", "x", ClockKind.MONTHS, 1, "", ())) == "1个月"
