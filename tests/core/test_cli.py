"""`gongkai deadline START N`: the due date on the last line, the derivation with --explain."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import chinese_calendar
import pytest

from shell.cli import main


def independent_due(start: date, n: int) -> date:
    """N days on which chinese_calendar says people work, the start day not counted."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return day


@pytest.mark.parametrize("start,n", [
    ("2026-09-25", 20), ("2025-09-28", 20), ("2024-02-08", 7), ("2020-01-23", 20), ("2019-04-28", 15),
    ("2018-12-28", 3), ("2023-06-21", 20),
])
def test_due_date_matches_an_independent_count(capsys, start, n):
    assert main(["deadline", start, str(n), "--calendar", "bundled"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == independent_due(date.fromisoformat(start), n).isoformat()


def test_explain_names_the_start_day_the_holidays_and_the_makeup_days(capsys):
    assert main(["deadline", "2026-09-25", "20", "--explain", "--calendar", "bundled"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert "2026-09-25" in lines[1] and "not counted" in lines[1]
    assert any("Skipped" in line and "2026-10-01" in line for line in lines)
    # every make-up working day in the period is named as counted
    due = date.fromisoformat(lines[-1])
    day = date(2026, 9, 25)
    while day < due:
        day += timedelta(days=1)
        if day.weekday() >= 5 and chinese_calendar.is_workday(day):
            assert any("make-up" in line and day.isoformat() in line for line in lines)
    assert "PROVISIONAL" not in out


def test_a_year_without_data_is_marked_provisional_or_refused(capsys):
    assert main(["deadline", "2027-06-01", "5", "--calendar", "bundled"]) == 0
    captured = capsys.readouterr()
    assert "PROVISIONAL" in captured.err
    assert main(["deadline", "2027-06-01", "5", "--calendar", "bundled", "--strict"]) == 1
    assert "2027" in capsys.readouterr().err


def test_bad_input_gets_a_clear_message(capsys):
    assert main(["deadline", "2026-13-01", "5"]) == 2
    assert "ISO date" in capsys.readouterr().err


def test_the_installed_command_prints_the_date_last():
    out = subprocess.run([sys.executable, "-m", "shell.cli", "deadline", "2026-09-25", "20", "--explain",
                          "--calendar", "bundled"], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == independent_due(date(2026, 9, 25), 20).isoformat()


def test_a_provisional_year_counts_new_years_day_as_a_holiday_and_says_so(capsys):
    """`gongkai deadline 2026-12-20 20` with no 2027 notice: 2027-01-01 (元旦) is skipped."""
    assert main(["deadline", "2026-12-20", "20", "--calendar", "bundled"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == "2027-01-18"  # 2027-01-15 if 元旦 were counted
    assert "PROVISIONAL" in captured.err and "2027" in captured.err
    assert "暂按《全国年节及纪念日放假办法》法定节日计算，调休安排未公布" in captured.err
    assert "Skipped 2027-01-01 (Fri): 元旦 holiday" in captured.err
    assert main(["deadline", "2026-12-20", "20", "--calendar", "bundled", "--explain", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "暂按《全国年节及纪念日放假办法》法定节日计算，调休安排未公布" in out
    assert "2027-01-01（周五） 元旦假期，不计入" in out
    assert out.strip().splitlines()[-1] == "2027-01-18"
