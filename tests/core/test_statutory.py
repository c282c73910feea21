"""Provisional years count the statutory holidays of the 全国年节及纪念日放假办法 (no 调休): the days
themselves, checked against the State Council's notices and independent libraries, and the calendar
and clock that use them."""

from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import holidays as holiday_lib
import pytest

from gongkai import statutory
from gongkai.clock import CST, ClockKind, ClockSpec, compute
from gongkai.explain import explain
from gongkai.workdays import WorkdayCalendar, bundled_arrangements, bundled_calendar


def spans(year: int) -> dict[str, tuple[str, str]]:
    return {h.name: (h.start.isoformat(), h.end.isoformat()) for h in statutory.holidays(year)}


def test_the_2024_revision_gives_eleven_days_with_the_lunar_ones_computed():
    assert spans(2027) == {
        "元旦": ("2027-01-01", "2027-01-01"), "春节": ("2027-02-05", "2027-02-08"),  # 除夕 to 初三
        "清明节": ("2027-04-05", "2027-04-05"), "劳动节": ("2027-05-01", "2027-05-02"),
        "端午节": ("2027-06-09", "2027-06-09"), "中秋节": ("2027-09-15", "2027-09-15"),
        "国庆节": ("2027-10-01", "2027-10-03"),
    }
    assert spans(2028)["春节"] == ("2028-01-25", "2028-01-28")
    assert spans(2030)["春节"] == ("2030-02-02", "2030-02-05")
    for year in range(2025, 2100):  # 1 + 4 + 1 + 2 + 1 + 1 + 3, less 中秋 when it falls within 国庆
        mid_autumn = statutory.days(year)
        within = any("、" in name for name in mid_autumn.values())
        assert len(mid_autumn) == (12 if within else 13), year
    assert statutory.days(2028)[date(2028, 10, 3)] == "国庆节、中秋节"


def test_earlier_wordings_of_the_law_are_kept_for_years_before_2025():
    assert spans(2019)["春节"] == ("2019-02-05", "2019-02-07")  # 2013 wording: 初一 to 初三, 劳动节 1 day
    assert spans(2019)["劳动节"] == ("2019-05-01", "2019-05-01")
    assert spans(2010)["春节"] == ("2010-02-13", "2010-02-15")  # 2007 wording: 除夕 to 初二
    assert "清明节" not in spans(2005) and spans(2005)["劳动节"] == ("2005-05-01", "2005-05-03")


@pytest.mark.parametrize("year", range(2018, 2027))
def test_every_statutory_day_is_a_holiday_of_that_years_notice(year):
    """2025 and 2026 (and every bundled year): the notices' holiday blocks contain each statutory day."""
    cal = bundled_calendar()
    assert cal.covers(year)
    for day, name in statutory.days(year).items():
        info = cal.day_info(day)
        assert info.kind == "holiday" and all(n in info.name for n in name.split("、")), (day, name, info)


def test_every_statutory_day_is_a_holiday_for_an_independent_calendar():
    for year in range(2004, 2027):  # what chinese_calendar knows
        for day in statutory.days(year):
            assert chinese_calendar.is_holiday(day), day


def test_qingming_agrees_with_an_independent_solar_term_table():
    for year in range(2008, 2100):
        qingming = [d for d, n in holiday_lib.China(years=year).items() if n == "Tomb-Sweeping Day"]
        assert qingming == [statutory.qingming(year)], year


def test_a_year_without_a_notice_counts_the_statutory_days_provisionally_and_no_makeup_days():
    cal = WorkdayCalendar(bundled_arrangements())
    new_year = cal.day_info(date(2027, 1, 1))
    assert (new_year.working, new_year.kind, new_year.name, new_year.provisional) == (False, "holiday", "元旦", True)
    assert cal.day_info(date(2027, 2, 8)).kind == "holiday"  # 初三, a Monday
    assert cal.day_info(date(2027, 2, 9)).working  # 初四: no 调休 is known, so an ordinary Tuesday
    assert cal.day_info(date(2027, 2, 6)).kind == "holiday"  # a Saturday inside 春节 stays off
    assert all(cal.day_info(date(2027, 1, d)).kind != "makeup" for d in range(1, 32))
    assert cal.provisional_basis(2027) == "statutory" and cal.provisional_basis(2026) == ""
    assert cal.provisional_basis(2100) == "weekends"  # beyond the lunar tables: weekends only
    assert cal.day_info(date(2100, 1, 1)).working  # a Friday; nothing known about it


def test_a_clock_into_2027_skips_new_years_day_and_says_why():
    due = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=20, start=datetime(2026, 12, 20, 9, tzinfo=CST)),
                  bundled_calendar())
    assert due.last_day == date(2027, 1, 18) and due.provisional and due.provisional_years == (2027,)
    lines = explain(due, "zh")
    assert any("暂按《全国年节及纪念日放假办法》法定节日计算，调休安排未公布" in line for line in lines)
    assert any("2027-01-01" in line and "元旦" in line and "不计入" in line for line in lines)


def test_a_regional_year_without_its_own_days_says_so():
    cal = bundled_calendar("xinjiang")
    assert cal.provisional_basis(2024) == "regional"
    due = compute(ClockSpec(kind=ClockKind.WORKING_DAYS, amount=5, start=datetime(2024, 6, 3, 9, tzinfo=CST)), cal)
    assert due.provisional and any("地方节假日安排尚未录入" in line for line in explain(due, "zh"))
