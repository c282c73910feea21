"""The holiday data, day by day, against independent sources. Any day of 2018-2026 that our data
gets wrong fails here, unless the disagreement is listed below with its resolution."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest

from gongkai.workdays import DATA_DIR, NATIONAL, WorkdayCalendar, bundled_arrangements, bundled_calendar

FIRST, LAST = date(2018, 1, 1), date(2026, 12, 31)

# Every disagreement found with a source, with why our data is right. Keyed by (source, day).
RESOLVED = {
    # workalendar's China data (2018-2023) predates the State Council's extension of the 2020
    # Spring Festival (国办发明电〔2020〕1号, 2020-01-27): the holiday ran to 2020-02-02 and the
    # make-up working day of Saturday 2020-02-01 was cancelled. Both other sources agree with us.
    ("workalendar", date(2020, 1, 31)): "2020 Spring Festival extended (国办发明电〔2020〕1号)",
    ("workalendar", date(2020, 2, 1)): "make-up day cancelled by the extension (国办发明电〔2020〕1号)",
}


def days():
    day = FIRST
    while day <= LAST:
        yield day
        day += timedelta(days=1)


def _holidays_lib_is_working(cn: holidays.HolidayBase, day: date) -> bool:
    # python-holidays lists days off on weekdays as holidays and 调休 make-up Saturdays and
    # Sundays in `weekend_workdays`.
    return day in cn.weekend_workdays or (day.weekday() < 5 and day not in cn)


def _workalendar_is_working(day: date) -> bool | None:
    from workalendar.asia import China

    if not 2018 <= day.year <= 2023:
        return None  # workalendar supports only these years
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return China().is_working_day(day)


SOURCES = {
    "chinesecalendar": lambda day: chinese_calendar.is_workday(day),
    "holidays": lambda day, _cn=holidays.China(years=range(FIRST.year, LAST.year + 1)): _holidays_lib_is_working(
        _cn, day),
    "workalendar": _workalendar_is_working,
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_day_of_2018_to_2026_matches_the_source(source):
    ours = bundled_calendar()
    check = SOURCES[source]
    wrong = []
    for day in days():
        theirs = check(day)
        if theirs is None:
            continue
        mine = ours.day_info(day, strict=True).working
        if mine != theirs and (source, day) not in RESOLVED:
            wrong.append(f"{day} ours={'work' if mine else 'off'} {source}={'work' if theirs else 'off'}")
    assert not wrong, "\n".join(wrong)


def test_each_resolved_disagreement_is_still_a_disagreement():
    """A listed disagreement that a source has since fixed should leave the list."""
    ours = bundled_calendar()
    for (source, day), _why in RESOLVED.items():
        assert SOURCES[source](day) != ours.day_info(day).working, (source, day)


def test_two_independent_sources_cover_every_year():
    for year in range(FIRST.year, LAST.year + 1):
        day = date(year, 6, 1)
        assert chinese_calendar.is_workday(day) in (True, False)
        assert holidays.China(years=year)  # raises or is empty for an unsupported year


def test_every_year_2018_to_2026_has_data_citing_its_notice():
    years = {a.year: a for a in bundled_arrangements() if a.region == NATIONAL}
    assert set(range(2018, 2027)) <= set(years)
    for year, arrangement in years.items():
        assert str(year) in arrangement.notice and arrangement.notice_number.startswith("国办发明电")
        assert arrangement.issued and arrangement.issued.year in (year - 1, year)
        for block in arrangement.holidays:
            assert block.start <= block.end
        holiday_days = {d for b in arrangement.holidays for d in b.days()}
        for m in arrangement.makeup_workdays:
            assert m.day not in holiday_days and m.day.weekday() >= 5


def test_data_files_are_named_by_region_and_year():
    for path in DATA_DIR.glob("*/*.toml"):
        arrangement = next(a for a in bundled_arrangements(path.parent.parent) if a.year == int(path.stem)
                           and a.region == path.parent.name)
        assert arrangement.region == path.parent.name


def test_a_regional_overlay_adds_to_the_national_calendar():
    regional = [a for a in bundled_arrangements() if a.region != NATIONAL]
    for overlay in regional:
        national = bundled_calendar(NATIONAL)
        local = WorkdayCalendar(bundled_arrangements(), overlay.region)
        for block in overlay.holidays:
            for day in block.days():
                assert not local.day_info(day).working
                assert local.day_info(day).name == block.name
                assert national.day_info(day).name != block.name
