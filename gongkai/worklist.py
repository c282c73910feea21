"""What a person's day is made of: 待办 (tasks addressed to them, to act on) and 待阅 (what they are
told, to read), each one row per case and matter however many rows the clocks and notices wrote."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from gongkai.clock import CST, working_days_left
from gongkai.roles import HEADS, WIDE_ROLES, Role
from gongkai.workdays import WorkdayCalendar

T = TypeVar("T")
# A reminder's title starts with its urgency, which changes as the same matter goes on; the rest
# names the matter. Other marks (【答复草稿退回】, 【延期已批准】, 【督办】 ...) name different news.
_MARK = re.compile(r"^【(即将到期|已到期|已超期)】")
DUE_SOON_WD = 3  # a task due within this many working days is 即将到期


@dataclass(frozen=True)
class Matter(Generic[T]):
    """One row of a list: the first item of its case and matter (the most urgent, as the items came
    sorted) and how many more were folded into it."""

    first: T
    more: int = 0

    @property
    def count(self) -> int:
        return self.more + 1


def fold(items: Iterable[T], key: Callable[[T], Hashable]) -> list[Matter[T]]:
    """One row per key, in the order the keys first appear."""
    firsts: dict[Hashable, T] = {}
    counts: dict[Hashable, int] = {}
    for item in items:
        k = key(item)
        firsts.setdefault(k, item)
        counts[k] = counts.get(k, 0) + 1
    return [Matter(firsts[k], counts[k] - 1) for k in firsts]


def task_matter(case_id: str, kind: str) -> tuple[str, str]:
    """A task's matter: its kind within its case (a case's 督办 rows, one per clock and due instant,
    are one matter for the person they are addressed to)."""
    return case_id, kind.split(":", 1)[0] if kind.startswith(("escalation:", "supervision")) else kind


def notice_matter(case_id: str, deadline_id: str | None, title: str) -> tuple[str, str]:
    """A notice's matter: the clock it is about, or else its title without the urgency mark."""
    return case_id, deadline_id or _MARK.sub("", title).strip()


def acts_on_department_work(role: Role | str) -> bool:
    """Officers act on their department's unclaimed work; heads, leaders, supervisors and the
    administrator act only on what is addressed to them (their role, their department, or them)."""
    return role == Role.OFFICER


def widens_to(role: Role | str) -> str | None:
    """What `全部事项` shows a role beyond its own 待办: every department's work, or its own
    department's; None when there is nothing more to show."""
    if role in WIDE_ROLES:
        return "all"
    if role in HEADS:
        return "department"
    return None


def urgency(cal: WorkdayCalendar, due_at: datetime | None, now: datetime) -> tuple[str, int | None]:
    """A day clock's task as the inbox colours it (overdue, due_today, due_soon, on_track, none), with
    the working days left (negative: over). Hour clocks: gongkai.incident.hour_urgency."""
    if due_at is None:
        return "none", None
    last_day: date = (due_at.astimezone(CST) - timedelta(seconds=1)).date()
    if due_at <= now:
        return "overdue", working_days_left(cal, now.astimezone(CST).date(), last_day)
    left = working_days_left(cal, now.astimezone(CST).date(), last_day)
    if left <= 0:
        return "due_today", 0
    return ("due_soon" if left <= DUE_SOON_WD else "on_track"), left
