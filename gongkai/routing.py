"""Where a reminder or an escalation is sent, and when: pure rules over the rung, the clock's kind
and the working-day calendar (gongkai/data/delivery.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from gongkai.clock import CST, ClockKind, start_of_day
from gongkai.instants import deadline_text, overdue_text
from gongkai.rules import AUDIENCE_ZH, CHANNELS, Rule, Rung
from gongkai.workdays import WorkdayCalendar

QUIET_FROM = 20  # no message from 20:00 …
QUIET_UNTIL = 8  # … until 08:00, nor on a non-working day
MORNING = 9  # a held message goes at 09:00 of the next working day (after the 08:30 digest)
DELIVERY_FILE = Path(__file__).resolve().parent / "data" / "delivery.toml"
LOOKAHEAD = 60  # days searched for the next working day (the longest holiday is 9 days)


@dataclass(frozen=True)
class Defaults:
    reminder: tuple[str, ...]
    escalation: tuple[str, ...]
    hours: tuple[str, ...]


@lru_cache(maxsize=1)
def defaults() -> Defaults:
    with DELIVERY_FILE.open("rb") as fh:
        data = tomllib.load(fh).get("delivery", {})

    def channels(name: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
        value = tuple(data.get(name, fallback))
        if any(c not in CHANNELS for c in value):
            raise ValueError(f"delivery.toml [delivery] {name}: unknown channel in {value!r}")
        return value

    return Defaults(channels("reminder", ("inapp", "email")), channels("escalation", ("inapp", "email", "group")),
                    channels("hours", ("inapp", "email", "group")))


def channels_for(rule: Rule, rung: Rung) -> tuple[str, ...]:
    """The channels a rung is sent on; the app always."""
    if rung.channels:
        chosen = rung.channels
    elif rule.kind == ClockKind.HOURS:
        chosen = defaults().hours
    else:
        chosen = defaults().escalation if rung.level else defaults().reminder
    return ("inapp", *(c for c in chosen if c != "inapp"))


def keeps_quiet(rule: Rule) -> bool:
    """Day clocks wait for office hours; an incident's hour clocks never wait, nor does a same-day
    rule (0 working days: held to the next working morning, its reminder would come after it is due)."""
    return rule.kind != ClockKind.HOURS and rule.amount > 0


def _next_working_day(cal: WorkdayCalendar, day: date) -> date:
    for _ in range(LOOKAHEAD):
        day += timedelta(days=1)
        if cal.is_working_day(day):
            return day
    return day  # a calendar without a working day for two months: send rather than hold for ever


def release_at(at: datetime, cal: WorkdayCalendar, quiet: bool) -> datetime:
    """When a message planned for `at` may go out: at once, or, for a day clock in quiet hours, at
    09:00 of the next working morning (the same day's if `at` is before 08:00 on a working day)."""
    if not quiet:
        return at
    local = at.astimezone(CST)
    day = local.date()
    working = cal.is_working_day(day)
    if working and QUIET_UNTIL <= local.hour < QUIET_FROM:
        return at
    if working and local.hour < QUIET_UNTIL:
        return start_of_day(day, MORNING)
    return start_of_day(_next_working_day(cal, day), MORNING)


def message_text(label: str, due_at: datetime, at: datetime, to: str, level: int) -> str:
    """A reminder's or an escalation's text outside the app, short enough for a phone: what is due,
    when, how long is left or how far over, who is told and why."""
    when = overdue_text(due_at, at)
    told = AUDIENCE_ZH.get(to, to)
    if level >= 2:
        why = f"超期未办结，已报{told}督办，请立即办理并反馈"
    elif level == 1:
        why = f"已到期未办结，已提请{told}督办，请尽快办理"
    else:
        why = f"提醒{told}按期办理"
    return f"{label}{deadline_text(due_at)}，{when}。{why}。"
