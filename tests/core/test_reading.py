"""The pure parts of each role's day: one row per case and matter, who widens to what, the chain of
opinions, and the word-level difference between two versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gongkai.opinions import Event, chain
from gongkai.roles import Role
from gongkai.textdiff import Piece, diff, tokens
from gongkai.worklist import acts_on_department_work, fold, notice_matter, task_matter, widens_to


def test_a_cases_escalations_and_supervisions_fold_into_one_row_each():
    rows = [("DR-1", "escalation:supervisor"), ("DR-1", "escalation:supervisor"), ("DR-2", "escalation:supervisor"),
            ("DR-1", "stage:extension"), ("DR-1", "supervision"), ("DR-1", "supervision")]
    folded = fold(rows, lambda r: task_matter(*r))
    assert [(m.first, m.more) for m in folded] == [
        (("DR-1", "escalation:supervisor"), 1), (("DR-2", "escalation:supervisor"), 0),
        (("DR-1", "stage:extension"), 0), (("DR-1", "supervision"), 1)]
    assert folded[0].count == 2
    # different stage tasks of one case stay apart (an incident's release and press conference)
    assert task_matter("IN-1", "stage:incident_release") != task_matter("IN-1", "stage:incident_press")


def test_notices_of_one_clock_are_one_matter_whatever_their_urgency_mark():
    assert notice_matter("DR-1", "DR-1/reply", "【即将到期】依申请公开 DR-1：答复期限") == \
        notice_matter("DR-1", "DR-1/reply", "【已超期】依申请公开 DR-1：答复期限")
    # news of different kinds about one case are different rows; the same news twice is one
    assert notice_matter("DR-1", None, "【答复草稿退回】依申请公开 DR-1") != \
        notice_matter("DR-1", None, "【延期已批准】依申请公开 DR-1")
    supervised = "【督办】依申请公开 DR-1"
    assert notice_matter("DR-1", None, supervised) == notice_matter("DR-1", None, supervised)
    assert notice_matter("DR-1", "DR-1/reply", "x") != notice_matter("DR-1", "DR-1/confirmation", "x")


def test_only_officers_act_on_department_work_and_only_heads_and_wide_roles_widen():
    assert acts_on_department_work(Role.OFFICER) and acts_on_department_work("officer")
    for role in (Role.DEPT_HEAD, Role.OFFICE_HEAD, Role.LEADER, Role.PRINCIPAL_HEAD, Role.SUPERVISOR, Role.ADMIN):
        assert not acts_on_department_work(role), role
    assert widens_to("leader") == widens_to(Role.SUPERVISOR) == widens_to(Role.OFFICE_HEAD) == "all"
    assert widens_to(Role.DEPT_HEAD) == "department"
    assert widens_to(Role.OFFICER) is None


def test_the_chain_of_opinions_in_order_with_who_when_and_words():
    t = datetime(2026, 12, 1, 2, tzinfo=UTC)
    events = [
        Event("office_reviewed", "zfb_head", t + timedelta(hours=3), "政府办审核通过，报领导审签",
              {"opinion": "建议签发"}),
        Event("submitted", "jyj_officer", t, "报送审签（第2版）", {}),
        Event("draft_updated", "jyj_officer", t - timedelta(hours=1), "更新文件及解读（第2版）", {}),
        Event("signed_off", "jyj_head", t + timedelta(hours=1), "部门负责人审签文件及解读（第2版，同步审签）", {}),
        Event("attribute_reviewed", "gkb_head", t + timedelta(hours=2), "公开属性审查退回：应主动公开", {}),
    ]
    said = chain(events)
    assert [(o.step, o.verdict, o.actor, o.text) for o in said] == [
        ("起草部门", "报送审签", "jyj_officer", ""),
        ("部门负责人", "同意", "jyj_head", ""),  # recorded before opinions were kept with it
        ("公开办", "退回", "gkb_head", "应主动公开"),
        ("政府办", "审核通过", "zfb_head", "建议签发"),
    ]
    assert said[3].at == t + timedelta(hours=3)


def _marked(lines) -> list[list[tuple[str, str]]]:
    return [[(p.op, p.text) for p in line.pieces] for line in lines]


def test_a_changed_word_or_character_is_marked_not_the_whole_line():
    lines = diff("本办法自2027年1月1日起施行。\n第二条 适用于城区。",
                 "本办法自2027年3月1日起施行。\n第二条 适用于城区及乡镇。")
    assert _marked(lines) == [
        [("same", "本办法自2027年"), ("del", "1"), ("ins", "3"), ("same", "月1日起施行。")],
        [("same", "第二条 适用于城区"), ("ins", "及乡镇"), ("same", "。")],
    ]
    assert all(line.changed for line in lines)
    words = diff("the plan is approved", "the plan is rejected")[0].pieces
    assert Piece("del", "approved") in words and Piece("ins", "rejected") in words  # Latin words whole
    assert tokens("施行2027年") == ["施", "行", "2027", "年"]


def test_lines_added_removed_and_unchanged():
    lines = diff("第一条\n第二条\n第三条", "第一条\n第三条\n第四条")
    assert _marked(lines) == [[("same", "第一条")], [("del", "第二条")], [("same", "第三条")], [("ins", "第四条")]]
    assert not lines[0].changed
    assert diff("", "") == [] and _marked(diff("", "新")) == [[("ins", "新")]]
    assert not any(line.changed for line in diff("同一\n文本", "同一\n文本"))
