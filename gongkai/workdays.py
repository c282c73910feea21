"""The working-day calendar: workalendar as the framework, the State Council's yearly
arrangements (holidays and 调休 make-up working days) as data.

A year without an arrangement is never silently treated as Monday–Friday: `day_info` marks such
a day provisional (counting the statutory holidays of the 放假办法, `gongkai.statutory`, but no
调休), and `strict=True` raises CalendarYearMissing instead."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from workalendar.core import SAT, SUN, Calendar

from gongkai import statutory
from gongkai.errors import CalendarYearMissing, InvalidInput

DATA_DIR = Path(__file__).resolve().parent / "data" / "calendar"
NATIONAL = "cn"
REGIONS = {"cn": "全国", "xinjiang": "新疆维吾尔自治区"}
# The years the calendar keeps arrangements for. A date outside them is no date a case can have
# (0001-01-01 cannot even be expressed in UTC, and clocks near 9999 overflow): refused where typed.
FIRST_YEAR, LAST_YEAR = 1990, 2200


def supported(day: date) -> bool:
    """Whether working days can be counted from or to `day` (a year without data is provisional)."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _as_date(value: object, what: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(f"{what}不是有效日期：{value!r}")


@dataclass(frozen=True)
class HolidayBlock:
    name: str
    start: date
    end: date

    def days(self) -> Iterable[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)


@dataclass(frozen=True)
class MakeupDay:
    day: date
    name: str


@dataclass(frozen=True)
class Arrangement:
    """One year's arrangement for one region, as announced in one notice (plus amendments)."""

    year: int
    region: str
    notice: str
    notice_number: str = ""
    issued: date | None = None
    source: str = ""
    holidays: tuple[HolidayBlock, ...] = ()
    makeup_workdays: tuple[MakeupDay, ...] = ()
    amendments: tuple[Mapping[str, str], ...] = field(default=())

    @classmethod
    def from_mapping(cls, data: Mapping) -> Arrangement:
        """Build from parsed TOML or JSON; every problem becomes a clear InvalidInput."""
        try:
            year = int(data["year"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("缺少年份（year）或年份无效") from None
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInput(f"年份超出范围：{year}")
        region = str(data.get("region", NATIONAL))
        if region not in REGIONS:
            raise InvalidInput(f"未知地区：{region}")
        notice = str(data.get("notice", "")).strip()
        if not notice:
            raise InvalidInput("必须注明依据的通知（notice）")
        holidays = []
        for i, item in enumerate(data.get("holidays", ()), 1):
            try:
                name = str(item["name"]).strip()
                start = _as_date(item["start"], f"第{i}个假期的开始日期")
                end = _as_date(item.get("end", item["start"]), f"第{i}个假期的结束日期")
            except KeyError as exc:
                raise InvalidInput(f"第{i}个假期缺少字段：{exc.args[0]}") from None
            if not name:
                raise InvalidInput(f"第{i}个假期缺少名称")
            if end < start:
                raise InvalidInput(f"假期“{name}”的结束日期早于开始日期")
            if (end - start).days > 31:
                raise InvalidInput(f"假期“{name}”超过31天，请检查日期")
            holidays.append(HolidayBlock(name, start, end))
        makeups = []
        for i, item in enumerate(data.get("makeup_workdays", ()), 1):
            try:
                makeups.append(MakeupDay(_as_date(item["date"], f"第{i}个调休上班日"), str(item.get("name", ""))))
            except KeyError:
                raise InvalidInput(f"第{i}个调休上班日缺少日期（date）") from None
        for m in makeups:
            if any(h.start <= m.day <= h.end for h in holidays):
                raise InvalidInput(f"调休上班日 {m.day.isoformat()} 落在假期之内")
        issued = data.get("issued")
        return cls(
            year=year,
            region=region,
            notice=notice,
            notice_number=str(data.get("notice_number", "")),
            issued=_as_date(issued, "发布日期") if issued else None,
            source=str(data.get("source", "")),
            holidays=tuple(sorted(holidays, key=lambda h: h.start)),
            makeup_workdays=tuple(sorted(makeups, key=lambda m: m.day)),
            amendments=tuple(dict(a) for a in data.get("amendments", ())),
        )

    def to_mapping(self) -> dict:
        """JSON-safe form (dates as ISO strings), as stored in a calendar version."""
        out: dict = {
            "year": self.year,
            "region": self.region,
            "notice": self.notice,
            "notice_number": self.notice_number,
            "source": self.source,
            "holidays": [
                {"name": h.name, "start": h.start.isoformat(), "end": h.end.isoformat()} for h in self.holidays
            ],
            "makeup_workdays": [{"date": m.day.isoformat(), "name": m.name} for m in self.makeup_workdays],
        }
        if self.issued:
            out["issued"] = self.issued.isoformat()
        if self.amendments:
            out["amendments"] = [{k: str(v) for k, v in a.items()} for a in self.amendments]
        return out


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    kind: str  # "workday", "weekend", "holiday", "makeup"
    name: str = ""  # the holiday a holiday or make-up day belongs to
    provisional: bool = False  # the year has no official arrangement


class WorkdayCalendar(Calendar):
    """workalendar Calendar whose holidays and extra working days come from arrangements."""

    WEEKEND_DAYS = (SAT, SUN)

    def __init__(self, arrangements: Iterable[Arrangement], region: str = NATIONAL) -> None:
        super().__init__()
        if region not in REGIONS:
            raise InvalidInput(f"未知地区：{region}")
        self.region = region
        wanted = {NATIONAL, region}
        self.arrangements = tuple(a for a in arrangements if a.region in wanted)
        self._national_years = frozenset(a.year for a in self.arrangements if a.region == NATIONAL)
        self._regional_years = frozenset(a.year for a in self.arrangements if a.region == region)
        self._holiday: dict[date, str] = {}
        self._makeup: dict[date, str] = {}
        # National first, the regional overlay on top of it.
        for arrangement in sorted(self.arrangements, key=lambda a: (a.region != NATIONAL, a.year)):
            for block in arrangement.holidays:
                for day in block.days():
                    self._holiday[day] = block.name
                    self._makeup.pop(day, None)
            for m in arrangement.makeup_workdays:
                self._makeup[m.day] = m.name
        self._through: dict[int, list[int]] = {}  # year -> working days from 1 January through each day

    # workalendar protocol
    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        return sorted((d, n) for d, n in self._holiday.items() if d.year == year)

    def is_working_day(self, day, extra_working_days=None, extra_holidays=None) -> bool:  # noqa: ARG002
        return self.day_info(day).working

    # our API
    def covers(self, year: int) -> bool:
        if year not in self._national_years:
            return False
        return self.region == NATIONAL or year in self._regional_years

    @property
    def years(self) -> list[int]:
        return sorted(y for y in self._national_years if self.covers(y))

    def arrangement(self, year: int, region: str | None = None) -> Arrangement | None:
        region = region or NATIONAL
        return next((a for a in self.arrangements if a.year == year and a.region == region), None)

    def provisional_basis(self, year: int) -> str:
        """How a year without its full arrangement is counted: "statutory" (no national notice:
        the 放假办法's holidays, no 调休), "weekends" (not even those are known) or "regional"
        (the national notice, without the region's own days); "" for a covered year."""
        if self.covers(year):
            return ""
        if year in self._national_years:
            return "regional"
        return "statutory" if statutory.covers(year) else "weekends"

    def _counts(self, year: int) -> list[int]:
        counts = self._through.get(year)
        if counts is None:
            counts, n, day = [], 0, date(year, 1, 1)
            while day.year == year:
                n += self.day_info(day).working
                counts.append(n)
                day += timedelta(days=1)
            self._through[year] = counts
        return counts

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days come after `a` up to and including `b` (0 unless a < b). Counted
        from per-year running totals, so a board of clocks a year overdue does not walk each day."""
        if b <= a:
            return 0
        through_a = self._counts(a.year)[a.timetuple().tm_yday - 1]
        n = -through_a
        for year in range(a.year, b.year):
            n += self._counts(year)[-1]
        return n + self._counts(b.year)[b.timetuple().tm_yday - 1]

    def day_info(self, day: date, *, strict: bool = False) -> DayInfo:
        provisional = not self.covers(day.year)
        if provisional and strict:
            missing = NATIONAL if day.year not in self._national_years else self.region
            raise CalendarYearMissing(day.year, missing)
        if day in self._makeup:
            return DayInfo(day, True, "makeup", self._makeup[day], provisional)
        if day in self._holiday:
            return DayInfo(day, False, "holiday", self._holiday[day], provisional)
        if provisional and day.year not in self._national_years:
            name = statutory.days(day.year).get(day)
            if name:
                return DayInfo(day, False, "holiday", name, provisional)
        if day.weekday() >= 5:
            return DayInfo(day, False, "weekend", "", provisional)
        return DayInfo(day, True, "workday", "", provisional)


def load_arrangement_file(path: Path) -> Arrangement:
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"文件 {path.name} 不是有效的 TOML：{exc}") from None
    return Arrangement.from_mapping(data)


def bundled_arrangements(data_dir: Path = DATA_DIR) -> list[Arrangement]:
    """The arrangements kept in the repository, each citing its notice."""
    return [load_arrangement_file(p) for p in sorted(data_dir.glob("*/*.toml"))]


def bundled_calendar(region: str = NATIONAL) -> WorkdayCalendar:
    return WorkdayCalendar(bundled_arrangements(), region)
