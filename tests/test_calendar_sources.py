"""The bundled holiday arrangements (gongkai/data/calendar/), checked day by day against independent sources.

Every day of 2018-01-01 … 2026-12-31 of the national calendar is compared with

* chinesecalendar (PyPI `chinesecalendar`, module `chinese_calendar`): `chinese_calendar.is_workday(day)`;
* python-holidays (`holidays.country_holidays("CN", ...)`, the class `holidays.China`). It represents a year's
  arrangement as (a) its holiday dict, which holds the statutory days, the observed days and every weekday given
  off by 调休 (named "休息日（由 YYYY-MM-DD 调休）"), and (b) the set `weekend_workdays`, which holds the Saturdays
  and Sundays worked as 调休 make-up days. Both come from `ChinaStaticHolidays.special_public_holidays`, a
  per-year table transcribed from the State Council notices; `China.is_working_day(day)` combines them (a weekend
  day works only if it is in `weekend_workdays`, a weekday only if it is not a holiday). For a year missing from
  that table the library still answers, from its fixed-date/lunar rules alone, so only the years in the table
  count as covered here;
* workalendar's `China` (supplementary: it is the project's calendar framework, but its China data stops at 2023).

A day on which a source disagrees with our data fails the test, unless it is listed in KNOWN_DISAGREEMENTS
below with the notice that makes our data right. docs/calendar.md repeats the table.

The test reads the TOML files itself and implements the working-day rule in a small helper, so that it does not
depend on the calendar module (which is written alongside and can later replace the helper):
a day is a working day if it is a make-up working day; otherwise not if it lies in a holiday block or on a
Saturday/Sunday; otherwise it is. All years of a region are merged (a block may begin in the previous December),
and the Xinjiang calendar is the national one with the regional overlay on top.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "gongkai" / "data" / "calendar"
NATIONAL = "cn"
REGIONS = (NATIONAL, "xinjiang")
FIRST, LAST = date(2018, 1, 1), date(2026, 12, 31)
YEARS = tuple(range(FIRST.year, LAST.year + 1))
PRIMARY = ("chinesecalendar", "holidays")  # the two independent sources every year must be checked against
MUST_COVER = tuple(range(2018, 2026))  # both primary sources must have official data for at least these years
XINJIANG_FESTIVALS = {"肉孜节", "古尔邦节"}


# --------------------------------------------------------------------------------------------------------------
# Disagreements found, and why our data is right. (source, day) -> entry. Checked both ways: an unlisted
# disagreement fails, and so does a listed one that no longer disagrees (the table stays true).
#
# chinesecalendar 1.11.0 and holidays 0.109 agree with our data on every day of 2018-2026 — including the 2020
# Spring Festival extension, which both carry (chinesecalendar as days off 2020-01-31…02-02, holidays as
# "春节延长假期" on 01-31, 02-01, 02-02, with 01-30 observed). Only workalendar disagrees.
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Disagreement:
    day: date
    source: str
    source_says_working: bool
    ours_working: bool
    why: str


KNOWN_DISAGREEMENTS = {
    (d.source, d.day): d
    for d in (
        Disagreement(
            date(2020, 1, 31), "workalendar", True, False,
            "Friday. 国办发明电〔2019〕16号 gave 1月24日至30日 for the Spring Festival; "
            "国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号，2020-01-26）extended it: "
            "“延长2020年春节假期至2月2日（农历正月初九，星期日），2月3日（星期一）起正常上班”. "
            "workalendar 17.0 still has only the original notice.",
        ),
        Disagreement(
            date(2020, 2, 1), "workalendar", True, False,
            "Saturday. Listed as a make-up working day (2月1日（星期六）上班) by 国办发明电〔2019〕16号, "
            "but inside the extended break of 国办发明电〔2020〕1号 (to 2月2日, work resumes 2月3日), "
            "so it was no longer worked.",
        ),
    )
}


# --------------------------------------------------------------------------------------------------------------
# Our data, read straight from the TOML files
# --------------------------------------------------------------------------------------------------------------
def data_files(region: str | None = None) -> list[Path]:
    regions = (region,) if region else REGIONS
    return sorted(p for r in regions for p in (DATA_DIR / r).glob("*.toml"))


def load(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def days(first: date = FIRST, last: date = LAST) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def block_days(block: dict) -> Iterator[date]:
    return days(block["start"], block["end"])


class OurCalendar:
    """All years of the given regions merged; the rule stated in the module docstring."""

    def __init__(self, regions: Iterable[str]) -> None:
        self.holiday: dict[date, str] = {}
        self.makeup: dict[date, str] = {}
        for region in regions:
            for path in data_files(region):
                data = load(path)
                for block in data.get("holidays", ()):
                    for day in block_days(block):
                        self.holiday[day] = block["name"]
                for item in data.get("makeup_workdays", ()):
                    self.makeup[item["date"]] = item["name"]

    def is_working(self, day: date) -> bool:
        if day in self.makeup:
            return True
        if day in self.holiday or day.weekday() >= 5:
            return False
        return True


def national() -> OurCalendar:
    return OurCalendar([NATIONAL])


def xinjiang() -> OurCalendar:
    return OurCalendar([NATIONAL, "xinjiang"])


# --------------------------------------------------------------------------------------------------------------
# The sources: for each, which years it has official data for, and its answer for a day
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    name: str
    covers: Callable[[int], bool]
    is_working: Callable[[date], bool]


def _chinesecalendar() -> Source:
    import chinese_calendar

    def covers(year: int) -> bool:
        try:
            for day in days(date(year, 1, 1), date(year, 12, 31)):
                chinese_calendar.is_workday(day)
        except NotImplementedError:  # "no available data for year …, only year between [2004, 2026] supported"
            return False
        return True

    return Source("chinesecalendar", covers, chinese_calendar.is_workday)


def _holidays() -> Source:
    import holidays
    from holidays.countries.china import ChinaStaticHolidays

    cn = holidays.country_holidays("CN", years=YEARS)
    official_years = set(ChinaStaticHolidays.special_public_holidays)
    return Source("holidays", lambda year: year in official_years, cn.is_working_day)


def _workalendar() -> Source:
    from workalendar.asia import China
    from workalendar.exceptions import CalendarError

    calendar = China()

    def quiet(day: date) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Support years 2018-2023 currently, need update every year."
            return calendar.is_working_day(day)

    def covers(year: int) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                calendar.holidays(year)
        except CalendarError:  # "Need configure 2024 for China."
            return False
        return True

    return Source("workalendar", covers, quiet)


SOURCE_FACTORIES = {"chinesecalendar": _chinesecalendar, "holidays": _holidays, "workalendar": _workalendar}
_sources: dict[str, Source] = {}


def source(name: str) -> Source:
    if name not in _sources:
        _sources[name] = SOURCE_FACTORIES[name]()
    return _sources[name]


def says(working: bool) -> str:
    return "working day" if working else "day off"


# --------------------------------------------------------------------------------------------------------------
# Day-by-day comparison
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SOURCE_FACTORIES))
def test_every_day_2018_to_2026_agrees_with_the_source(name):
    src, ours = source(name), national()
    covered = [y for y in YEARS if src.covers(y)]
    if name in PRIMARY:
        assert covered, f"{name} covers none of {YEARS[0]}-{YEARS[-1]}"
    wrong = []
    for day in days():
        if day.year not in covered:
            continue
        theirs, mine = src.is_working(day), ours.is_working(day)
        if theirs != mine and (name, day) not in KNOWN_DISAGREEMENTS:
            wrong.append(f"{day} ({day:%a}): {name} says {says(theirs)}, our data says {says(mine)}")
    assert not wrong, f"{len(wrong)} unexplained disagreement(s) with {name}:\n" + "\n".join(wrong)


def test_each_known_disagreement_is_real_and_still_there():
    ours = national()
    for (name, day), entry in KNOWN_DISAGREEMENTS.items():
        src = source(name)
        assert FIRST <= day <= LAST and src.covers(day.year), (name, day)
        assert src.is_working(day) is entry.source_says_working, f"{name} no longer says so for {day}: drop it"
        assert ours.is_working(day) is entry.ours_working, f"our data changed for {day}"
        assert entry.source_says_working != entry.ours_working and "国办发明电" in entry.why


def test_both_primary_sources_cover_2018_to_2025():
    for name in PRIMARY:
        missing = [y for y in MUST_COVER if not source(name).covers(y)]
        assert not missing, f"{name} lacks official data for {missing}"


def test_every_year_is_checked_by_at_least_one_primary_source():
    # A source that lacks a year (e.g. 2026 in an older release) leaves it to the other; never to none.
    for year in YEARS:
        checkers = [name for name in PRIMARY if source(name).covers(year)]
        assert checkers, f"{year} is checked by no primary source"


# --------------------------------------------------------------------------------------------------------------
# The files themselves
# --------------------------------------------------------------------------------------------------------------
REQUIRED = {"year": int, "region": str, "notice": str, "notice_number": str, "source": str, "holidays": list}
ALLOWED = set(REQUIRED) | {"issued", "amendments", "makeup_workdays"}


@pytest.mark.parametrize("path", data_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_has_the_required_keys(path):
    data = load(path)
    for key, kind in REQUIRED.items():
        assert isinstance(data.get(key), kind), f"{key} missing or not {kind.__name__}"
    assert set(data) <= ALLOWED, f"unknown keys {set(data) - ALLOWED}"
    assert data["year"] == int(path.stem) and data["region"] == path.parent.name
    assert str(data["year"]) in data["notice"]
    if data["region"] == NATIONAL:  # a national file must name its notice fully
        assert data["notice"] == f"国务院办公厅关于{data['year']}年部分节假日安排的通知"
        assert data["notice_number"].startswith("国办发明电〔") and data["notice_number"].endswith("号")
        assert type(data.get("issued")) is date and data["issued"].year in (data["year"] - 1, data["year"])
        assert data["source"].startswith(("http://www.gov.cn/", "https://www.gov.cn/"))
    else:  # a regional notice's number or date may be unknown, but what is given must be well-formed
        assert "issued" not in data or type(data["issued"]) is date
        assert data["source"].startswith(("http://", "https://"))
    for amendment in data.get("amendments", ()):
        assert set(amendment) == {"notice", "notice_number", "issued", "summary"}
        assert type(amendment["issued"]) is date and amendment["notice_number"].startswith("国办发明电〔")
    for block in data["holidays"]:
        assert set(block) == {"name", "start", "end"} and block["name"]
        assert type(block["start"]) is date and type(block["end"]) is date
    for item in data.get("makeup_workdays", ()):
        assert set(item) == {"date", "name"} and type(item["date"]) is date and item["name"]


@pytest.mark.parametrize("path", data_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_blocks_and_make_up_days_are_consistent(path):
    data = load(path)
    year = data["year"]
    names = {b["name"] for b in data["holidays"]}
    for block in data["holidays"]:
        assert block["start"] <= block["end"], block
        # A block belongs to the notice's year; only New Year may begin in the previous December.
        assert date(year - 1, 12, 1) <= block["start"] and block["end"] <= date(year, 12, 31), block
        assert block["start"].year == year or block["name"] == "元旦", block
        assert (block["end"] - block["start"]).days < 14, block
    for item in data.get("makeup_workdays", ()):
        assert item["date"].weekday() >= 5, f"{item['date']} is not a Saturday or Sunday"
        assert item["date"].year in (year - 1, year)
        assert item["name"] in names, f"make-up day {item['date']} names no holiday of this file"
        inside = [b for b in data["holidays"] if b["start"] <= item["date"] <= b["end"]]
        assert not inside, f"make-up day {item['date']} lies inside {inside}"
    if data["region"] != NATIONAL:
        assert names <= XINJIANG_FESTIVALS, "an overlay adds only the regional festivals"


@pytest.mark.parametrize("regions", [(NATIONAL,), (NATIONAL, "xinjiang")], ids=["cn", "xinjiang"])
def test_no_make_up_day_lies_in_any_holiday_block_of_the_merged_calendar(regions):
    calendar = OurCalendar(regions)
    clash = sorted(d for d in calendar.makeup if d in calendar.holiday)
    assert not clash, f"make-up days inside holiday blocks: {clash}"


def test_every_national_year_2018_to_2026_is_present():
    assert {int(p.stem) for p in data_files(NATIONAL)} >= set(YEARS)


def test_the_xinjiang_calendar_is_the_national_one_plus_its_overlay():
    cn, xj = national(), xinjiang()
    overlay_years = {int(p.stem) for p in data_files("xinjiang")}
    assert overlay_years <= {int(p.stem) for p in data_files(NATIONAL)}, "an overlay year needs its national year"
    overlay_days = {
        day for path in data_files("xinjiang") for block in load(path)["holidays"] for day in block_days(block)
    }
    for day in days():
        if day in overlay_days:
            assert not xj.is_working(day), day
            assert xj.holiday[day] in XINJIANG_FESTIVALS
        else:
            assert xj.is_working(day) == cn.is_working(day), day
