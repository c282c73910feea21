"""Same-day rules and the rule line of a deadline's explanation (issue 17, items 4 and 5).

A limit of 0 (洪泽: the interpretation published with its document) is due at 24:00 of the trigger's
own calendar day, working day or not; pauses and extensions still work, and the ladder's `-0wd`
reminder comes that morning, the supervisor at 24:00. Every explanation opens with the rule's
source and the rule version it runs by."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime, time, timedelta

import pytest
from temporalio.converter import DataConverter

from contracts.deadline import DeadlineRef, ScheduleInput
from gongkai.clock import CST, UTC, ClockKind, ClockSpec, compute, end_of_day
from gongkai.explain import explain
from gongkai.profiles import get_rule
from gongkai.rules import rule_problems
from gongkai.workdays import bundled_calendar

CAL = bundled_calendar("cn")
FRIDAY = datetime(2026, 9, 25, 15, 0, tzinfo=CST)  # a working day
HOLIDAY = datetime(2026, 10, 4, 8, 0, tzinfo=CST)  # a Sunday inside National Day 2026 (10-01 to 10-07)
NOTE = "2026-12-01 王管理员修改：按洪泽区方案，解读材料与文件同步发布。"


def same_day_rule():
    return replace(get_rule("interpretation"), amount=0)


def spec_of(start: datetime, kind: ClockKind = ClockKind.WORKING_DAYS, **more) -> ClockSpec:
    rule = same_day_rule()
    return ClockSpec(kind=kind, amount=0, start=start, rule=rule.name, label=rule.label, source=rule.source, **more)


def test_a_same_day_rule_is_valid_and_its_ladder_can_happen():
    assert rule_problems(same_day_rule()) == {}


@pytest.mark.parametrize("kind", [ClockKind.WORKING_DAYS, ClockKind.CALENDAR_DAYS, ClockKind.MONTHS])
@pytest.mark.parametrize("start", [FRIDAY, HOLIDAY])
def test_a_limit_of_zero_is_due_at_2400_of_the_trigger_day_working_day_or_not(kind, start):
    due = compute(spec_of(start, kind), CAL)
    assert due.last_day == start.date() and not due.paused and not due.provisional
    assert due.due_at == datetime.combine(start.date() + timedelta(days=1), time(0), CST)
    lines = explain(due, "zh")
    assert not any("当日不计入" in line for line in lines)  # the start day is the whole period
    assert any(line.startswith("同日规则") and start.date().isoformat() in line and "不顺延" in line
               for line in lines)
    assert not any("顺延至" in line for line in lines)
    weekday = "一二三四五六日"[start.weekday()]
    assert lines[-1] == f"届满日为 {start.date().isoformat()}（周{weekday}），截止时间为当日二十四时。"
    assert any(line.startswith("Same-day rule") for line in explain(due, "en"))


def test_an_extension_of_a_same_day_clock_counts_working_days_after_the_trigger_day():
    spec = spec_of(HOLIDAY).extended(2, HOLIDAY + timedelta(hours=2), "需会商")
    due = compute(spec, CAL)
    # 10-05..10-07 are the holiday; 10-08 (Thu) and 10-09 (Fri) are the two working days.
    assert due.last_day == date(2026, 10, 9) and due.total == 2
    lines = explain(due, "zh")
    assert "延长的工作日从起算日次日开始计算。" in lines
    assert any("国庆节假期，不计入" in line for line in lines)
    # Calendar days: 10-04 + 2 = 10-06, a holiday, rolled to 10-08.
    assert compute(spec_of(HOLIDAY, ClockKind.CALENDAR_DAYS).extended(2, HOLIDAY), CAL).last_day == date(2026, 10, 8)


def test_a_pause_on_the_trigger_day_leaves_the_office_the_resume_day():
    paused = spec_of(HOLIDAY).paused(HOLIDAY + timedelta(hours=1), "征求意见")
    while_paused = compute(paused, CAL)
    assert while_paused.paused and while_paused.due_at is None
    # Resumed on 10-06 (a holiday): the first working day on or after it, 10-08.
    after = compute(paused.resumed(datetime(2026, 10, 6, 10, tzinfo=CST)), CAL)
    assert after.last_day == date(2026, 10, 8)
    assert any("为届满日，当日暂停计时" in line for line in explain(after, "zh"))
    # Resumed the same day: the office kept its day, nothing moves (even though it is a holiday).
    same = compute(paused.resumed(HOLIDAY + timedelta(hours=3)), CAL)
    assert same.last_day == HOLIDAY.date()


def test_a_pause_after_the_same_day_has_passed_changes_nothing_and_says_so():
    late = datetime(2026, 10, 5, 10, tzinfo=CST)
    paused = spec_of(HOLIDAY).paused(late)
    assert compute(paused, CAL).due_at == end_of_day(HOLIDAY.date())  # overdue stays overdue
    after = compute(paused.resumed(late + timedelta(days=3)), CAL)
    assert after.due_at == end_of_day(HOLIDAY.date())
    assert any("暂停计时时期限已经届满" in line for line in explain(after, "zh"))


@pytest.mark.parametrize("start", [FRIDAY, HOLIDAY])
def test_the_ladder_reminds_that_morning_and_escalates_at_2400(start):
    rule = same_day_rule()
    due = compute(spec_of(start), CAL)
    at = {r.when: r.instant(due, CAL) for r in rule.ladder}
    assert at["-0wd"] == datetime.combine(start.date(), time(9), CST)  # the trigger day's 09:00
    assert at["due"] == due.due_at == datetime.combine(start.date() + timedelta(days=1), time(0), CST)
    # +2wd: 24:00 of the second working day after the trigger day.
    assert at["+2wd"] == end_of_day({FRIDAY: date(2026, 9, 29), HOLIDAY: date(2026, 10, 9)}[start])
    assert [r.to for r in sorted(rule.ladder, key=lambda r: at[r.when])] == ["assignee", "supervisor", "leader"]


def test_the_rule_line_names_the_source_the_version_and_who_changed_it():
    rule = get_rule("list_adjustment")
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=10, start=FRIDAY, rule=rule.name, label=rule.label,
                     source="《临沂市政务公开工作实施方案》二(五)", version=3,
                     note="2026-12-01 王管理员修改：按临沂市方案调整。")
    lines = explain(compute(spec, CAL), "zh")
    assert lines[0] == ("依《临沂市政务公开工作实施方案》二(五)，清单调整公开期限10个工作日；"
                        "规则版本 3，2026-12-01 王管理员修改：按临沂市方案调整。")
    assert "起算日 2026-09-25（周五） 当日不计入" in lines[1]
    en = explain(compute(spec, CAL), "en")[0]
    assert en.startswith("Rule: 清单调整公开期限, 10 working days (《临沂市政务公开工作实施方案》二(五)); "
                         "rule version 3, ")


def test_the_rule_line_of_the_shipped_rules_and_of_a_version_without_a_note():
    rule = get_rule("reply")
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=FRIDAY, rule=rule.name, label=rule.label,
                     source=rule.source)
    assert explain(compute(spec, CAL), "zh")[0] == \
        f"依{rule.source}，依申请公开答复期限20个工作日；规则版本：系统内置。"
    assert explain(compute(spec, CAL), "en")[0].endswith("; rule version: built in.")
    assert explain(compute(replace(spec, version=1), CAL), "zh")[0].endswith("；规则版本 1。")
    hours = get_rule("opinion_response")
    incident = ClockSpec(kind=ClockKind.HOURS, amount=48, start=FRIDAY, rule=hours.name, label=hours.label,
                         source=hours.source, version=2, note=NOTE)
    assert explain(compute(incident, CAL), "zh")[0] == (
        f"依{hours.source}，政务舆情回应48小时；"
        "规则版本 2，2026-12-01 王管理员修改：按洪泽区方案，解读材料与文件同步发布。")
    same = explain(compute(spec_of(FRIDAY, version=4, note=NOTE), CAL), "zh")[0]
    assert same.startswith("依各地实施方案") and "政策解读材料发布期限为当日；规则版本 4，" in same
    # A clock without a rule (the calculator, the CLI) has no rule line.
    bare = explain(compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=0, start=FRIDAY), CAL), "zh")
    assert bare[0].startswith("同日规则")


def test_a_spec_recorded_before_rule_versions_still_decodes():
    """ClockSpec travels in activity inputs: a history recorded before `version` and `note` existed
    decodes with version 0 (the shipped rules) and no note."""
    converter = DataConverter.default.payload_converter
    spec = ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=FRIDAY.astimezone(UTC), rule="reply",
                     label="依申请公开答复期限", source="《政府信息公开条例》第三十三条（A05）")
    ref = DeadlineRef("C/reply", "C", "wf", "disclosure", "reply", "案件")
    old = asdict(ScheduleInput(ref, spec, 0))
    del old["spec"]["version"], old["spec"]["note"]
    [payload] = converter.to_payloads([old])
    [decoded] = converter.from_payloads([payload], [ScheduleInput])
    assert decoded.spec == spec and decoded.spec.version == 0 and decoded.spec.note == ""
    assert explain(compute(decoded.spec, CAL), "zh")[0].endswith("；规则版本：系统内置。")
