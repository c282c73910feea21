"""How the supervisors' board says how long a clock is overdue (web/board.late_by)."""

from __future__ import annotations

from datetime import datetime, timedelta

from gongkai.clock import CST
from web.board import late_by

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=CST)


def test_an_hour_clock_is_overdue_by_hours_and_minutes():
    assert late_by("incident", NOW - timedelta(hours=3, minutes=5), "", NOW) == "已超期3小时05分"
    assert late_by("incident", NOW - timedelta(minutes=7), "", NOW) == "已超期7分钟"


def test_a_working_day_clock_is_overdue_by_working_days():
    assert late_by("disclosure", NOW - timedelta(days=4), -2, NOW) == "已超期2个工作日"
    assert late_by("policy", NOW - timedelta(hours=10), 0, NOW) == "已超期（不足1个工作日）"


def test_a_clock_not_yet_due_is_not_overdue():
    assert late_by("incident", NOW + timedelta(minutes=1), "", NOW) == ""
    assert late_by("disclosure", NOW + timedelta(days=1), 1, NOW) == ""
