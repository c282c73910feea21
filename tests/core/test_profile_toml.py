"""Reading and writing profile TOML (gongkai/profiles.py): a bad file is refused with every problem
and the line it is on, and nothing is taken from it; what export writes, import reads back."""

from __future__ import annotations

from dataclasses import replace
from textwrap import dedent

import pytest

from gongkai.errors import InvalidInput
from gongkai.profiles import MAX_FILE, SHIPPED, decode_upload, read_profile, shipped_profile, write_profile
from gongkai.rules import Rule


def national() -> dict[str, Rule]:
    return shipped_profile("national").rules


def refused(text: str, *, allow_new: bool = False) -> list[str]:
    """The problems read_profile names for `text`; the base it was given is left as it was."""
    base = dict(national())
    with pytest.raises(InvalidInput) as exc:
        read_profile(text, base, allow_new=allow_new)
    assert base == national()
    assert exc.value.field == "file"
    problems = exc.value.detail["problems"]
    assert all(p in exc.value.message for p in problems[:20])
    return problems


HEAD = dedent("""\
    [profile]
    key = "test"
    name = "测试县人民政府"
    region = "cn"
    """)


def test_a_good_override_is_read_onto_the_base():
    profile = read_profile(HEAD + '\n[rules.list_adjustment]\namount = 10\nsource = "本地方案二(五)"\n', national())
    assert (profile.key, profile.name, profile.region) == ("test", "测试县人民政府", "cn")
    assert (profile.rules["list_adjustment"].amount, profile.rules["list_adjustment"].source) == (10, "本地方案二(五)")
    assert profile.rules["reply"] == national()["reply"]


# -- unknown keys, each named with its line ---------------------------------------------------------
def test_an_unknown_top_level_key_and_table():
    assert refused('colour = "red"\n' + HEAD) == ["第 1 行：未知的键“colour”（可用：profile、rules）"]
    assert refused(HEAD + "\n[delivery]\nretries = 3\n") == ["第 6 行：未知的键“delivery”（可用：profile、rules）"]


def test_an_unknown_key_in_profile():
    (problem,) = refused(HEAD + 'owner = "王"\n')
    assert problem.startswith("第 5 行：profile 中有未知的键“owner”")


def test_an_unknown_key_in_a_rule():
    (problem,) = refused(HEAD + "\n[rules.reply]\namount = 15\nlimit = 3\n")
    assert problem.startswith("第 8 行：规则 reply 中有未知的键“limit”")


def test_an_unknown_key_in_a_rung_is_named_at_the_rung():
    text = HEAD + dedent("""
        [rules.reply]
        ladder = [
          { when = "-2wd", to = "assignee", level = 0 },
          { when = "due", to = "supervisor", level = 1, urgent = true },
        ]
        """)
    (problem,) = refused(text)
    assert problem.startswith("第 9 行：规则 reply：第 2 级提醒：提醒中有未知的键：urgent")


def test_an_unknown_rule_is_refused_unless_new_rules_are_allowed():
    text = HEAD + '\n[rules.parade]\nlabel = "游行"\nkind = "working_days"\namount = 3\nsource = "x"\n'
    (problem,) = refused(text)
    assert problem.startswith("第 6 行：未知的规则“parade”")
    assert read_profile(text, national(), allow_new=True).rules["parade"].amount == 3
    (problem,) = refused(HEAD + '\n[rules.parade]\nlabel = "游行"\n', allow_new=True)
    assert problem == "第 6 行：新规则 parade 缺少：kind、amount、source"


# -- values that cannot be --------------------------------------------------------------------------
def test_a_negative_limit():
    assert refused(HEAD + "\n[rules.reply]\namount = -1\n") == [
        "第 7 行：规则 reply（依申请公开答复期限）：期限不能为负数（-1）"]


def test_zero_hours_is_refused_but_zero_working_days_is_the_same_day():
    (problem,) = refused(HEAD + "\n[rules.press_conference]\namount = 0\n")
    assert problem.startswith("第 7 行：规则 press_conference（新闻发布会）：以小时计的期限不能为 0")
    assert read_profile(HEAD + "\n[rules.interpretation]\namount = 0\n", national()).rules["interpretation"].amount == 0


def test_a_rung_for_an_unknown_role():
    text = HEAD + dedent("""
        [rules.correction]
        ladder = [
          { when = "-2wd", to = "assignee", level = 0 },
          { when = "due", to = "mayor", level = 1 },
        ]
        """)
    (problem,) = refused(text)
    assert problem.startswith("第 9 行：规则 correction（补正告知期限）：第 2 级提醒：未知的提醒对象“mayor”")


def test_rungs_that_cannot_happen():
    """-5wd on a 3 working-day rule is before the day it starts; -6h on a 5 h rule before the
    moment it starts. A limit shortened below the ladder it keeps from the base is caught the same
    way, named at the rule's table (the rung is not in the file)."""
    text = HEAD + dedent("""
        [rules.interpretation]
        amount = 3
        ladder = [
          { when = "-5wd", to = "assignee", level = 0 },
          { when = "due", to = "supervisor", level = 1, task = true },
        ]

        [rules.authoritative_release]
        ladder = [
          { when = "-6h", to = "department", level = 0 },
        ]

        [rules.reply]
        amount = 3
        """)
    before_day = "早于起算日（期限只有 3 个工作日），不会发生"
    before_instant = "不晚于起算时刻（期限只有 5 小时），不会发生"
    assert refused(text) == [
        f"第 9 行：规则 interpretation（政策解读材料发布期限）：第 1 级提醒：提醒时点 -5wd {before_day}",
        f"第 15 行：规则 authoritative_release（重大突发事件权威信息发布）：第 1 级提醒：提醒时点 -6h {before_instant}",
        f"第 18 行：规则 reply（依申请公开答复期限）：第 1 级提醒：提醒时点 -5wd {before_day}",
    ]


def test_values_of_the_wrong_type():
    text = HEAD.replace('region = "cn"', 'region = ["cn"]') + dedent("""
        [rules.reply]
        amount = "20"
        kind = "weeks"
        applies = "yes"
        """)
    assert refused(text) == [
        "第 4 行：profile 的 region 应为文字",
        "第 7 行：规则 reply：期限 amount 应为整数，而不是 '20'",
        "第 8 行：规则 reply：期限类型无效：'weeks'（可选：working_days、hours、calendar_days、months）",
        "第 9 行：规则 reply：applies 应为 true 或 false",
    ]
    (problem,) = refused(HEAD.replace('region = "cn"', 'region = "tibet"'))
    assert problem.startswith("第 4 行：未知的日历地区“tibet”")


def test_a_malformed_rung_is_the_only_problem_named_for_its_ladder():
    """The rung that cannot be read is reported; the base ladder it would fall back to is not
    checked against the file's new limit (that would name rungs the file does not have)."""
    text = HEAD + dedent("""
        [rules.reply]
        amount = 1
        ladder = [
          { when = "due", to = "supervisor", level = "high" },
        ]
        """)
    assert refused(text) == ["第 9 行：规则 reply：第 1 级提醒：提醒的 level 应为整数，task 应为 true 或 false"]


def test_every_problem_is_named_at_once_and_lines_are_counted_as_toml_counts_them():
    """CRLF files, and characters Python would take for line breaks inside a string (U+2028, U+0085),
    do not shift the line numbers."""
    text = (HEAD + 'owner = "王"\n\n[rules.reply]\namount = -1\n\n[rules.press_conference]\namount = 0\n')
    problems = refused(text.replace("\n", "\r\n"))
    assert [p.split("：")[0] for p in problems] == ["第 5 行", "第 8 行", "第 11 行"]
    text = HEAD + '\n[rules.reply]\nlabel = "答复\u2028期限\x85"\namount = -1\n'
    assert [p.split("：")[0] for p in refused(text)] == ["第 8 行"]


# -- files that are not TOML, bytes that are not text -----------------------------------------------
def test_a_file_that_is_not_toml_names_line_and_column():
    with pytest.raises(InvalidInput) as exc:
        read_profile(HEAD + "\n[rules.reply\namount = 3\n", national())
    assert exc.value.message.startswith("第 6 行第 13 列：文件不是有效的 TOML")
    with pytest.raises(InvalidInput, match="^第 7 行第 10 列：文件不是有效的 TOML"):
        read_profile(HEAD + "\n[rules.reply]\namount = \n", national())


def test_uploads_are_decoded_as_utf8_text():
    text = HEAD + '\n[rules.reply]\nsource = "第三十三条"\n'
    assert decode_upload(text.encode()) == text
    assert decode_upload(b"\xef\xbb\xbf" + text.encode()) == text  # the BOM Windows editors write
    with pytest.raises(InvalidInput, match="^文件不是 UTF-8 编码的文本（第 3 行有无法识别的字节）$"):
        decode_upload(text.encode("gbk"))
    with pytest.raises(InvalidInput, match="文件过大"):
        decode_upload(b"#" * (MAX_FILE + 1))
    with pytest.raises(InvalidInput, match="文件是空的"):
        decode_upload(b" \n")


# -- export and import --------------------------------------------------------------------------------
@pytest.mark.parametrize("key", SHIPPED)
def test_each_shipped_profile_reads_back_from_its_export(key):
    profile = shipped_profile(key)
    text = write_profile(profile.key, profile.name, profile.region, profile.source, profile.rules,
                         comment=f"{profile.name}\n导出自 gongkai")
    assert text.startswith(f"# {profile.name}\n# 导出自 gongkai\n[profile]\n")
    assert read_profile(text, {}, allow_new=True) == profile
    assert read_profile(text, national(), allow_new=True) == profile
    again = read_profile(text, {}, allow_new=True)
    assert write_profile(again.key, again.name, again.region, again.source, again.rules) == \
        write_profile(profile.key, profile.name, profile.region, profile.source, profile.rules)


def test_text_an_administrator_typed_survives_the_round_trip():
    """Quotes, backslashes, a line break or a tab in a source or label are escaped on export."""
    rules = dict(national())
    rules["reply"] = replace(rules["reply"], label='答复 "期限"', source="第三十三条\n第二款\t（见 C:\\规章）\x7f")
    text = write_profile("x", "名\\称", "cn", "来源\"", rules)
    profile = read_profile(text, {}, allow_new=True)
    assert profile.rules == rules
    assert (profile.name, profile.source) == ("名\\称", "来源\"")
