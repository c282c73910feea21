"""One way to write an instant and a clock's state (gongkai.instants)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from gongkai.clock import CST, UTC
from gongkai.explain import due_text
from gongkai.instants import clock_status, deadline_text, instant_text, last_day, overdue_text, span_text
from gongkai.letters import chinese_date
from gongkai.workdays import bundled_calendar

MIDNIGHT = datetime(2026, 12, 30, 0, 0, tzinfo=CST)


def test_a_deadline_at_the_end_of_a_day_reads_24_00_of_that_day():
    assert instant_text(MIDNIGHT) == "2026-12-29 24:00"
    assert instant_text(MIDNIGHT.astimezone(UTC)) == "2026-12-29 24:00"  # stored in UTC: 16:00 the day before
    assert deadline_text(MIDNIGHT) == "截止 2026-12-29 24:00"
    assert due_text(MIDNIGHT) == "2026-12-29 24:00"  # the derivation's writer is the same one
    assert instant_text(datetime(2026, 12, 29, 17, 5, tzinfo=CST)) == "2026-12-29 17:05"
    assert instant_text(None) == "—"


def test_a_letter_names_the_same_day():
    assert last_day(MIDNIGHT) == date(2026, 12, 29)
    assert chinese_date(last_day(MIDNIGHT)) == "二〇二六年十二月二十九日"


def test_the_page_filter_writes_the_same(tmp_path):
    from web.render import beijing
    assert beijing(MIDNIGHT.astimezone(UTC)) == "2026-12-29 24:00"
    assert beijing(MIDNIGHT, "%Y-%m-%d") == "2026-12-30"  # an explicit format is kept as asked


def test_an_escalation_sent_late_says_how_late_it_is_now():
    due = datetime(2026, 12, 29, 10, 0, tzinfo=CST)
    # the +1 h rung of a case registered 2 h 01 min after its due instant is sent at once
    assert overdue_text(due, due + timedelta(hours=2, minutes=1)) == "已超期2小时01分"
    assert overdue_text(due, due) == "已到截止时间"
    assert overdue_text(due, due - timedelta(minutes=30)) == "距截止还有30分钟"
    assert span_text(timedelta(days=2, hours=4)) == "2天4小时"


@pytest.mark.parametrize(("state", "now", "word", "left"), [
    ("running", datetime(2026, 12, 24, 9, 0, tzinfo=CST), "进行中", "剩余 3 个工作日"),
    ("running", datetime(2026, 12, 29, 9, 0, tzinfo=CST), "进行中", "今日到期"),
    ("running", datetime(2026, 12, 30, 0, 30, tzinfo=CST), "已超期", "已超期 1 个工作日"),
    ("running", datetime(2026, 12, 31, 9, 0, tzinfo=CST), "已超期", "已超期 2 个工作日"),
    ("met", datetime(2027, 1, 5, 9, 0, tzinfo=CST), "已完成", ""),
    ("paused", datetime(2027, 1, 5, 9, 0, tzinfo=CST), "暂停计时", ""),
])
def test_a_day_clock_state_in_chinese_with_working_days(state, now, word, left):
    status = clock_status(state, "working_days", MIDNIGHT, now, bundled_calendar())
    assert (status.word, status.left) == (word, left)


def test_an_hour_clock_counts_hours():
    due = datetime(2026, 12, 29, 15, 0, tzinfo=CST)
    assert clock_status("running", "hours", due, due - timedelta(hours=3, minutes=12)).left == "剩余 3小时12分"
    late = clock_status("running", "hours", due, due + timedelta(hours=2, minutes=1))
    assert (late.word, late.left, late.overdue) == ("已超期", "已超期 2小时01分", True)
