"""The pure incident rules: which clocks a grade starts and from when, registration checks,
countdowns as officers read them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gongkai import incident as rules
from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.profiles import get_rule

NOW = datetime(2026, 10, 2, 3, 0, tzinfo=CST)  # National Day, at night: hour clocks do not care
EVENT = NOW - timedelta(hours=3)
FOUND = NOW - timedelta(hours=1)


@pytest.mark.parametrize("grade", ["especially_major", "major"])
def test_major_grades_start_the_5_and_24_hour_clocks_from_the_event(grade):
    plan = rules.clock_plan(grade, EVENT, FOUND)
    assert [(p.name, p.rule, p.start) for p in plan] == [
        ("release", "authoritative_release", EVENT), ("press", "press_conference", EVENT)]
    assert [get_rule(p.rule).amount for p in plan] == [5, 24]


@pytest.mark.parametrize("grade", ["large", "general", "opinion"])
def test_other_cases_get_the_48_hour_response(grade):
    (plan,) = rules.clock_plan(grade, EVENT, FOUND)
    assert (plan.rule, plan.start, get_rule(plan.rule).amount) == ("opinion_response", EVENT, 48)


def test_the_anchor_parameter_moves_the_start_to_detection():
    plan = rules.clock_plan("major", EVENT, FOUND, {"press_conference": "detection"})
    assert [p.start for p in plan] == [EVENT, FOUND]


def test_registration_problems_are_listed_together():
    with pytest.raises(InvalidInput) as exc:
        rules.check_registration(title=" ", grade="x", source="media", occurred_at=NOW + timedelta(hours=1),
                                 detected_at=NOW, now=NOW, location="", follow_up_hours=0)
    assert exc.value.detail["problems"] == ["请填写事件简述", "请填写发生地点", "请选择事件等级",
                                            "发生时间不能晚于当前时间", "发现时间不能早于发生时间",
                                            "持续发布提醒间隔应在1至168小时之间"]
    with pytest.raises(InvalidInput, match="发现时间不能早于发生时间"):
        rules.check_registration(title="t", grade="major", source="media", occurred_at=EVENT,
                                 detected_at=EVENT - timedelta(minutes=1), now=NOW, location="l", follow_up_hours=24)
    rules.check_registration(title="t", grade="major", source="media", occurred_at=EVENT, detected_at=FOUND,
                             now=NOW, location="l", follow_up_hours=24)


@pytest.mark.parametrize(("left", "text", "urgency"), [
    (timedelta(hours=4, minutes=30), "剩余 4小时30分", "due_soon"),
    (timedelta(minutes=45), "剩余 45分钟", "due_today"),
    (timedelta(days=1, hours=23), "剩余 1天23小时", "on_track"),
    (timedelta(hours=-1, minutes=-5), "已超期 1小时05分", "overdue"),
    (timedelta(0), "已超期 0分钟", "overdue"),
])
def test_countdowns(left, text, urgency):
    assert rules.countdown_zh(NOW + left, NOW) == text
    assert rules.hour_urgency(NOW + left, NOW) == urgency


def test_each_registration_problem_names_its_field_and_an_unchosen_grade_is_one():
    with pytest.raises(InvalidInput) as exc:
        rules.check_registration(title="t", grade="", source="", occurred_at=EVENT, detected_at=FOUND, now=NOW,
                                 location="l", follow_up_hours=24)
    assert exc.value.field == "grade"
    assert exc.value.detail["fields"] == {"grade": "请选择事件等级", "source": "请选择信息来源"}


def test_the_board_puts_the_longest_overdue_first_then_the_least_time_left():
    cases = [("calm", [NOW + timedelta(hours=40)], EVENT),
             ("no_clock", [], EVENT - timedelta(days=1)),
             ("soon", [NOW + timedelta(minutes=20), NOW + timedelta(hours=20)], EVENT),
             ("late", [NOW - timedelta(minutes=10)], EVENT),
             ("later", [NOW - timedelta(hours=3), NOW + timedelta(hours=1)], EVENT + timedelta(hours=1))]
    assert rules.board_order(cases) == ["later", "late", "soon", "calm", "no_clock"]


def test_a_release_lists_its_channels_and_the_online_ones_give_their_link():
    rules.check_release("t", ["website", "weibo", "briefing"], "王", "https://www.example.gov.cn/1")
    rules.check_release("t", ["briefing"], "王")  # a press briefing has no address
    rules.check_release("t", ["weibo"], "王", needs_link=False)  # an older client's single channel
    for channels, link, field, message in [
        ([], "", "channels", "请选择发布渠道（可多选）"),
        (["website", "tv"], "", "channels", "请选择发布渠道（可多选）"),
        (["weibo", "weibo"], "https://a.cn", "channels", "发布渠道重复"),
        (["wechat"], "", "link", "在政府网站、政务微博或政务微信发布的，请填写发布链接"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            rules.check_release("t", channels, "王", link)
        assert (exc.value.field, exc.value.message) == (field, message)


@pytest.mark.parametrize(("content_type", "size", "message"), [
    ("image/gif", 100, "发布截图应为 PNG 或 JPG 图片"),
    ("", 100, "发布截图应为 PNG 或 JPG 图片"),
    ("image/png", rules.SCREENSHOT_MAX_BYTES + 1, "发布截图不能超过 2MB"),
    ("image/jpeg", 0, "发布截图不能超过 2MB"),
])
def test_a_screenshot_is_a_picture_of_limited_size(content_type, size, message):
    with pytest.raises(InvalidInput) as exc:
        rules.check_screenshot(content_type, size)
    assert (exc.value.field, exc.value.message) == ("screenshot", message)
    rules.check_screenshot("image/png", 1024)


def test_the_supervision_feedback_clock_is_a_local_rule_in_hours():
    rule = get_rule(rules.SUPERVISION_RULE)
    assert (rule.kind, rule.amount, rule.label) == ("hours", 4, "督办反馈期限")
    assert "本机关内部工作规定" in rule.source and "非法定期限" in rule.source
