"""The one way an instant and a clock's state are written, everywhere (pages, the timeline, notices,
letters, the inbox): Beijing time, a deadline that ends a day written as 24:00 of that day (as the
law counts it), never 00:00 of the next; every state in Chinese with what is left or over.

Pure functions: pages, activities and letters call them with the time and calendar they have."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gongkai.clock import CST, working_days_left
from gongkai.workdays import WorkdayCalendar

NONE = "—"


def instant_text(at: datetime | None) -> str:
    """2026-12-29 24:00 for the instant 2026-12-30 00:00 Beijing time; 2026-12-29 17:30 otherwise."""
    if at is None:
        return NONE
    local = at.astimezone(CST)
    if local.hour == 0 and local.minute == 0:
        return f"{(local - timedelta(days=1)).strftime('%Y-%m-%d')} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def deadline_text(at: datetime | None) -> str:
    """截止 2026-12-29 24:00."""
    return f"截止 {instant_text(at)}" if at else "未定截止时间"


def last_day(at: datetime) -> date:
    """The day a deadline instant belongs to: a midnight due (24:00) is the day before's."""
    return (at.astimezone(CST) - timedelta(microseconds=1)).date()


def span_text(delta: timedelta) -> str:
    """A duration as officers read a countdown: 3小时12分, 2天4小时, 45分钟."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins:02d}分"
    return f"{mins}分钟"


def overdue_text(due_at: datetime, now: datetime) -> str:
    """What an escalation says at `now` (when it is sent, not when it was planned)."""
    if now < due_at:
        return f"距截止还有{span_text(due_at - now)}"
    if now == due_at:
        return "已到截止时间"
    return f"已超期{span_text(now - due_at)}"


# A clock's state as its row stores it (running, paused, met, late, cancelled) in Chinese.
STATE_ZH = {"running": "进行中", "paused": "暂停计时", "met": "已完成", "late": "超期完成", "cancelled": "已撤销"}


@dataclass(frozen=True)
class ClockStatus:
    word: str  # 进行中, 已超期, 已完成, ...
    left: str  # 剩余 3 个工作日, 已超期 2小时01分, 今日到期, or ""
    overdue: bool
    days: int | None = None  # working days left (negative: over), for day clocks that run


def clock_status(state: str, kind: str, due_at: datetime | None, now: datetime,
                 cal: WorkdayCalendar | None = None) -> ClockStatus:
    """A clock's state in words, with working days (day clocks) or hours (hour clocks) left or over.
    `cal` counts working days; without one, days are counted as hours are."""
    if state != "running" or due_at is None:
        return ClockStatus(STATE_ZH.get(state, state), "", False)
    overdue = now >= due_at
    word = "已超期" if overdue else "进行中"
    if kind == "hours" or cal is None:
        left = f"已超期 {span_text(now - due_at)}" if overdue else f"剩余 {span_text(due_at - now)}"
        return ClockStatus(word, left, overdue)
    days = working_days_left(cal, now.astimezone(CST).date(), last_day(due_at))
    if overdue:
        days = min(days, 0)
        left = f"已超期 {-days} 个工作日" if days else f"已超期 {span_text(now - due_at)}"
    elif days > 0:
        left = f"剩余 {days} 个工作日"
    else:
        left = "今日到期"
    return ClockStatus(word, left, overdue, days)
