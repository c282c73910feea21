"""The statutory holidays (法定节日) of the 全国年节及纪念日放假办法, for a year whose State Council
arrangement is not yet published: the days the law gives everyone off, whatever the 调休 will be.

Lunar dates come from `lunardate` (years 1900–2099); 清明 is the solar term, from the usual
formula for it. A year outside that range has no statutory days here (weekends only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from lunardate import LunarDate

# What `lunardate` can convert: the first day of 1900's lunar year to the end of 2099's.
FIRST_LUNAR_YEAR, LAST_LUNAR_YEAR = 1901, 2099
BASIS_ZH = "暂按《全国年节及纪念日放假办法》法定节日计算，调休安排未公布"


@dataclass(frozen=True)
class Statutory:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class _Era:
    """One wording of the 放假办法: from which year, and its days per holiday."""

    since: int
    spring_from_eve: bool  # 春节 starts on 除夕 (else on 初一)
    spring_days: int
    labour_days: int
    national_days: int
    qingming_dragon_autumn: bool  # 清明, 端午 and 中秋 (since 2008)


# 1949 decision; 1999 revision (国务院令第270号); 2007 (第513号); 2013 (第644号); 2024 (第795号).
ERAS = (
    _Era(1949, False, 3, 1, 2, False),
    _Era(2000, False, 3, 3, 3, False),
    _Era(2008, True, 3, 1, 3, True),
    _Era(2014, False, 3, 1, 3, True),
    _Era(2025, True, 4, 2, 3, True),
)


def qingming(year: int) -> date:
    """The 清明 solar term in the 21st century (a holiday only since 2008): April
    int(Y×0.2422 + 4.81) − int(Y/4), Y the year's last two digits (the day it falls in Beijing time)."""
    if not 2000 <= year <= 2099:
        raise ValueError(f"qingming: {year} is outside the 21st century")
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def covers(year: int) -> bool:
    """Whether this module can name the statutory days of `year`."""
    return FIRST_LUNAR_YEAR <= year <= LAST_LUNAR_YEAR


def _lunar(year: int, month: int, day: int) -> date:
    # typeshed's stub predates 0.3's snake_case name (the camelCase one is deprecated)
    return LunarDate(year, month, day).to_solar_date()  # pyright: ignore[reportAttributeAccessIssue]


def _block(name: str, start: date, days: int) -> Statutory:
    return Statutory(name, start, start + timedelta(days=days - 1))


@lru_cache(maxsize=256)
def holidays(year: int) -> tuple[Statutory, ...]:
    """The statutory holidays falling in `year` (Gregorian), in order; () outside `covers`."""
    if not covers(year):
        return ()
    era = [e for e in ERAS if e.since <= year][-1]
    new_year = _lunar(year, 1, 1)
    spring = new_year - timedelta(days=1) if era.spring_from_eve else new_year
    out = [
        _block("元旦", date(year, 1, 1), 1),
        _block("春节", spring, era.spring_days),
        _block("劳动节", date(year, 5, 1), era.labour_days),
        _block("国庆节", date(year, 10, 1), era.national_days),
    ]
    if era.qingming_dragon_autumn:
        out += [_block("清明节", qingming(year), 1), _block("端午节", _lunar(year, 5, 5), 1),
                _block("中秋节", _lunar(year, 8, 15), 1)]
    return tuple(sorted(out, key=lambda h: h.start))


@lru_cache(maxsize=256)
def days(year: int) -> dict[date, str]:
    """Each statutory day of `year` with its holiday's name."""
    out: dict[date, str] = {}
    for h in holidays(year):
        day = h.start
        while day <= h.end:  # 中秋 may fall within 国庆: one day off, both names
            out[day] = f"{out[day]}、{h.name}" if day in out else h.name
            day += timedelta(days=1)
    return out
