"""The SLA clock: pure, deterministic deadline arithmetic (design.md, "Clocks").

A ClockSpec is the whole history of a deadline: its rule, its start, and every pause, extension
and restart. `compute` turns it into a Due (the due instant, or none while paused) and the
steps that explain it. Nothing here reads the time or a database, so the same spec and
calendar always give the same answer."""

from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from gongkai.errors import ActionNotAllowed, InvalidInput
from gongkai.workdays import WorkdayCalendar

CST = timezone(timedelta(hours=8))  # Asia/Shanghai: no DST, a fixed offset is exact
UTC = UTC
MAX_SPAN_DAYS = 3 * 366


class ClockKind(StrEnum):
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"


UNIT_ZH = {"working_days": "个工作日", "hours": "小时", "calendar_days": "日", "months": "个月"}
UNIT_EN = {"working_days": "working days", "hours": "hours", "calendar_days": "calendar days", "months": "months"}


def local_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise InvalidInput("时间必须带时区")
    return instant.astimezone(CST).date()


def end_of_day(day: date) -> datetime:
    """24:00 of `day` in Beijing time, as a UTC instant."""
    return datetime.combine(day + timedelta(days=1), time(0), CST).astimezone(UTC)


def start_of_day(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), CST).astimezone(UTC)



@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Extension:
    amount: int
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Restart:
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class ClockSpec:
    kind: ClockKind
    amount: int
    start: datetime
    rule: str = ""
    label: str = ""
    source: str = ""
    pauses: tuple[Pause, ...] = ()
    extensions: tuple[Extension, ...] = ()
    restarts: tuple[Restart, ...] = ()
    version: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ClockKind(self.kind))
        if self.amount < 0 or self.amount > 10000:
            raise InvalidInput(f"期限数值无效：{self.amount}")
        if self.start.tzinfo is None:
            raise InvalidInput("起算时间必须带时区")

    # -- the moves a deadline can make; each returns a new spec -----------------------------
    @property
    def effective_start(self) -> datetime:
        return self.restarts[-1].at if self.restarts else self.start

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def paused(self, at: datetime, reason: str = "") -> ClockSpec:
        if self.is_paused:
            raise ActionNotAllowed("期限已处于暂停状态")
        if at < self.effective_start:
            raise ActionNotAllowed("暂停时间不能早于起算时间")
        return replace(self, pauses=(*self.pauses, Pause(at, None, reason)))

    def resumed(self, at: datetime) -> ClockSpec:
        if not self.is_paused:
            raise ActionNotAllowed("期限未暂停，无法恢复")
        last = self.pauses[-1]
        if at < last.start:
            raise ActionNotAllowed("恢复时间不能早于暂停时间")
        return replace(self, pauses=(*self.pauses[:-1], replace(last, end=at)))

    def extended(self, amount: int, at: datetime, reason: str = "") -> ClockSpec:
        if amount <= 0:
            raise InvalidInput("延长的期限必须大于零")
        return replace(self, extensions=(*self.extensions, Extension(amount, at, reason)))

    def restarted(self, at: datetime, reason: str = "") -> ClockSpec:
        """The whole period starts again (a corrected application): pauses and extensions
        before the restart no longer apply."""
        if at < self.effective_start:
            raise ActionNotAllowed("重新起算时间不能早于原起算时间")
        return replace(self, restarts=(*self.restarts, Restart(at, reason)), pauses=(), extensions=())


@dataclass(frozen=True)
class Step:
    """One line of a deadline's derivation. `code` picks the sentence; the rest fills it."""

    code: str
    day: date | None = None
    until: date | None = None
    name: str = ""
    count: int = 0
    at: datetime | None = None
    # The rule line: its citation, the rule version the clock runs by (ClockSpec.version; 0: the rules
    # as shipped, before versions) and who changed it when and why (ClockSpec.note). The spec's two
    # come last, with defaults, so the specs in recorded histories still decode.
    source: str = ""
    version: int = 0
    note: str = ""


@dataclass(frozen=True)
class Due:
    kind: ClockKind
    amount: int
    total: int  # amount plus extensions
    due_at: datetime | None  # None while paused
    last_day: date | None  # the last day of the period (day clocks), local
    paused: bool
    provisional: bool
    provisional_years: tuple[int, ...]
    counted: int  # units counted before a pause (working days for day clocks)
    steps: tuple[Step, ...] = field(default=())


def _pause_days(spec: ClockSpec) -> list[tuple[date, date | None]]:
    """Local-date pause intervals (a, b]: days after a up to and including b are not counted."""
    start = spec.effective_start
    return [(local_date(p.start), local_date(p.end) if p.end else None) for p in spec.pauses if p.start >= start]


def _in_pause(day: date, intervals: list[tuple[date, date | None]]) -> tuple[date, date | None] | None:
    for a, b in intervals:
        if day > a and (b is None or day <= b):
            return (a, b)
    return None


def compute(spec: ClockSpec, cal: WorkdayCalendar) -> Due:
    if spec.kind is ClockKind.HOURS:
        return _hours(spec)
    if spec.kind is ClockKind.WORKING_DAYS:
        return _working_days(spec, cal)
    return _calendar(spec, cal)


def _opening_steps(spec: ClockSpec) -> list[Step]:
    steps = [Step("rule", name=spec.label or spec.rule, count=spec.amount, at=spec.start, source=spec.source,
                  version=spec.version, note=spec.note)] if (spec.label or spec.rule) else []
    if spec.restarts:
        steps.append(Step("restart", day=local_date(spec.effective_start), name=spec.restarts[-1].reason))
    return steps


def _start_step(spec: ClockSpec, origin: date) -> Step:
    """A day clock's start: the start day is not counted, except by a same-day rule (a limit of 0:
    the interpretation published with its document), whose last day is the trigger's calendar day,
    working day or not."""
    return Step("same_day" if spec.amount == 0 else "start_day", day=origin)


def _hours(spec: ClockSpec) -> Due:
    steps = _opening_steps(spec)
    start = spec.effective_start
    steps.append(Step("start_instant", at=start))
    paused_for = timedelta()
    for p in spec.pauses:
        if p.start < start:
            continue
        if p.end is None:
            counted = int((p.start - start - paused_for).total_seconds() // 3600)
            steps.append(Step("paused_open", at=p.start, name=p.reason))
            total = spec.amount + sum(e.amount for e in spec.extensions)
            return Due(spec.kind, spec.amount, total, None, None, True, False, (), counted, tuple(steps))
        paused_for += p.end - p.start
        steps.append(Step("paused_hours", at=p.start, count=int((p.end - p.start).total_seconds() // 60)))
    total = spec.amount + sum(e.amount for e in spec.extensions)
    for e in spec.extensions:
        steps.append(Step("extension", count=e.amount, at=e.at, name=e.reason))
    due_at = (start + timedelta(hours=total) + paused_for).astimezone(UTC)
    steps.append(Step("due_instant", at=due_at))
    return Due(spec.kind, spec.amount, total, due_at, local_date(due_at), False, False, (), total, tuple(steps))


def _working_days(spec: ClockSpec, cal: WorkdayCalendar) -> Due:
    steps = _opening_steps(spec)
    origin = local_date(spec.effective_start)
    steps.append(_start_step(spec, origin))
    intervals = _pause_days(spec)
    total = spec.amount + sum(e.amount for e in spec.extensions)
    provisional: set[int] = set()
    count = 0
    day = origin
    base_day: date | None = origin if spec.amount == 0 else None
    holiday: Step | None = None
    pause_step: Step | None = None

    def flush() -> None:
        nonlocal holiday, pause_step
        if holiday:
            steps.append(holiday)
            holiday = None
        if pause_step:
            steps.append(pause_step)
            pause_step = None

    while count < total:
        day += timedelta(days=1)
        if (day - origin).days > MAX_SPAN_DAYS:
            raise InvalidInput("期限跨度超过三年，请检查参数")
        interval = _in_pause(day, intervals)
        if interval and interval[1] is None:
            flush()
            steps.append(Step("paused_open", day=interval[0], count=count))
            return Due(spec.kind, spec.amount, total, None, None, True, bool(provisional),
                       tuple(sorted(provisional)), count, tuple(steps))
        info = cal.day_info(day)
        if info.provisional and day.year not in provisional:
            provisional.add(day.year)
            flush()
            steps.append(Step("provisional", day=day, count=day.year, name=cal.provisional_basis(day.year)))
        if interval:
            if holiday:
                flush()
            if pause_step and pause_step.day == interval[0]:
                pause_step = replace(pause_step, count=pause_step.count + (1 if info.working else 0))
            else:
                flush()
                pause_step = Step("paused", day=interval[0], until=interval[1], count=1 if info.working else 0)
            continue
        if pause_step:
            flush()
        if info.working:
            if holiday:
                flush()
            count += 1
            if info.kind == "makeup":
                steps.append(Step("makeup", day=day, name=info.name, count=count))
            if count == spec.amount:
                base_day = day
        elif info.kind == "holiday":
            weekday = 1 if day.weekday() < 5 else 0
            if holiday and holiday.name == info.name:
                holiday = replace(holiday, until=day, count=holiday.count + weekday)
            else:
                flush()
                holiday = Step("holiday", day=day, until=day, name=info.name, count=weekday)
        # plain weekends are skipped without a line of their own
    flush()
    day, edges, open_pause = _edges(day, intervals, cal)
    if open_pause is not None:  # paused on the last day and not resumed yet
        steps.append(Step("paused_open", day=open_pause, count=count))
        return Due(spec.kind, spec.amount, total, None, None, True, bool(provisional),
                   tuple(sorted(provisional)), count, tuple(steps))
    if spec.extensions:
        steps.append(Step("base_due", day=base_day, count=spec.amount))
        for e in spec.extensions:
            steps.append(Step("extension", count=e.amount, at=e.at, name=e.reason))
    steps.extend(edges)
    due_at = end_of_day(day)
    steps.append(Step("last_day", day=day, count=total, at=due_at))
    return Due(spec.kind, spec.amount, total, due_at, day, False, bool(provisional),
               tuple(sorted(provisional)), count, tuple(steps))


def _edges(last: date, intervals: list[tuple[date, date | None]],
           cal: WorkdayCalendar) -> tuple[date, list[Step], date | None]:
    """Pauses at the edge of a deadline (design.md, Clocks). One that begins on the last day leaves
    the office the resume day: the last day becomes the first working day on or after the resume
    date (still paused: no last day yet); resumed on the last day itself, it stays (a same-day
    rule's last day may be a holiday). One that begins after the last day has passed changes
    nothing, and says so. Returns the last day, the explanation's lines, and the day of a pause still
    open on the last day (or None)."""
    steps: list[Step] = []
    moved = True
    while moved:
        moved = False
        for a, b in intervals:
            if a != last:
                continue
            if b is None:
                return last, steps, a
            day = b
            while day > last and not cal.day_info(day).working:  # resumed the same day: nothing moves
                day += timedelta(days=1)
                if (day - b).days > MAX_SPAN_DAYS:
                    raise InvalidInput("期限跨度超过三年，请检查参数")
            if day > last:
                steps.append(Step("paused_last_day", day=a, until=b, at=None, name=day.isoformat()))
                last, moved = day, True
                break
    steps += [Step("paused_after_due", day=a) for a, _ in intervals if a > last]
    return last, steps, None


def add_months(day: date, months: int) -> date:
    """民法典 Art. 202: the corresponding day, or the month's last day if there is none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _stdcal.monthrange(year, month)[1]))


def _calendar(spec: ClockSpec, cal: WorkdayCalendar) -> Due:
    steps = _opening_steps(spec)
    origin = local_date(spec.effective_start)
    steps.append(_start_step(spec, origin))
    total = spec.amount + sum(e.amount for e in spec.extensions)
    intervals = _pause_days(spec)
    if intervals and intervals[-1][1] is None:
        steps.append(Step("paused_open", day=intervals[-1][0]))
        return Due(spec.kind, spec.amount, total, None, None, True, False, (), 0, tuple(steps))
    if spec.kind is ClockKind.MONTHS:
        last = add_months(origin, total)
    else:
        last = origin + timedelta(days=total)
    paused_days = sum((b - a).days for a, b in intervals if b is not None)
    if paused_days:
        steps.append(Step("paused_days", count=paused_days))
        last += timedelta(days=paused_days)
    for e in spec.extensions:
        steps.append(Step("extension", count=e.amount, at=e.at, name=e.reason))
    if last == origin:  # a same-day rule, nothing paused or added: the trigger's own day, not rolled forward
        due_at = end_of_day(last)
        steps.append(Step("last_day", day=last, count=total, at=due_at))
        return Due(spec.kind, spec.amount, total, due_at, last, False, False, (), total, tuple(steps))
    steps.append(Step("nominal_day", day=last))
    provisional: set[int] = set()
    info = cal.day_info(last)
    rolled_from = last
    guard = 0
    while not info.working:
        guard += 1
        if guard > 60:
            raise InvalidInput("找不到期满后的工作日，请检查日历")
        last += timedelta(days=1)
        info = cal.day_info(last)
    for d in (rolled_from, last):
        if cal.day_info(d).provisional:
            provisional.add(d.year)
    for y in sorted(provisional):
        steps.append(Step("provisional", count=y, name=cal.provisional_basis(y)))
    if last != rolled_from:
        steps.append(Step("roll_forward", day=rolled_from, until=last))
    due_at = end_of_day(last)
    steps.append(Step("last_day", day=last, count=total, at=due_at))
    return Due(spec.kind, spec.amount, total, due_at, last, False, bool(provisional),
               tuple(sorted(provisional)), total, tuple(steps))


def shift_working_days(cal: WorkdayCalendar, day: date, k: int) -> date:
    """The k-th working day after `day` (k > 0) or before it (k < 0); k == 0 is `day` itself."""
    step = 1 if k > 0 else -1
    remaining = abs(k)
    while remaining:
        day += timedelta(days=step)
        if cal.day_info(day).working:
            remaining -= 1
    return day


def working_days_left(cal: WorkdayCalendar, today: date, last_day: date) -> int:
    """Working days from today (not counted) to the last day (counted); negative when overdue,
    counting the working days since the last day."""
    if last_day >= today:
        return cal.working_days_between(today, last_day)
    return -cal.working_days_between(last_day, today)
