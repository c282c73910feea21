"""Time-limit rules and their escalation ladders, as data (gongkai/data/rules.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from gongkai.clock import ClockKind, Due, end_of_day, shift_working_days, start_of_day
from gongkai.errors import InvalidInput, NotFound
from gongkai.workdays import WorkdayCalendar

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.toml"
AUDIENCES = ("assignee", "department", "department_head", "office_head", "supervisor", "leader", "principal_head")
AUDIENCE_ZH = {
    "assignee": "经办人", "department": "责任部门", "department_head": "部门负责人", "office_head": "公开办负责人",
    "supervisor": "督办人员", "leader": "分管领导", "principal_head": "主要负责人",
}
# Where a rung is sent: in the app (always), by e-mail to each person told, to the case department's
# group robots with the person concerned @-mentioned.
CHANNELS = ("inapp", "email", "group")
REMINDER_HOUR = 9  # working-day reminders arrive at the start of the office day
_WHEN = re.compile(r"^(?:due|([+-])(\d+)(wd|h|m))$")


@dataclass(frozen=True)
class Rung:
    key: str  # unique within a ladder, e.g. "-2wd:assignee"
    when: str
    to: str
    level: int
    task: bool = False
    channels: tuple[str, ...] = ()  # where it is sent besides the app; () = the default (gongkai/routing.py)

    def instant(self, due: Due, cal: WorkdayCalendar) -> datetime:
        assert due.due_at is not None and due.last_day is not None
        m = _WHEN.match(self.when)
        assert m
        if self.when == "due":
            return due.due_at
        sign, n, unit = m.group(1), int(m.group(2)), m.group(3)
        k = n if sign == "+" else -n
        if unit == "h":
            return due.due_at + timedelta(hours=k)
        if unit == "m":
            return due.due_at + timedelta(minutes=k)
        day = shift_working_days(cal, due.last_day, k)
        return end_of_day(day) if k > 0 else start_of_day(day, REMINDER_HOUR)


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    kind: ClockKind
    amount: int
    source: str
    ladder: tuple[Rung, ...]
    anchor: str = ""  # hour clocks: run from the "event" or its "detection" (C13)


def parse_rung(item: dict) -> Rung:
    when = str(item.get("when", ""))
    if not _WHEN.match(when):
        raise InvalidInput(f"提醒时点格式无效：{when!r}")
    to = str(item.get("to", ""))
    if to not in AUDIENCES:
        raise InvalidInput(f"提醒对象无效：{to!r}")
    channels = item.get("channels", ())
    if isinstance(channels, str) or any(c not in CHANNELS for c in channels):
        raise InvalidInput(f"提醒渠道无效：{channels!r}（可选：{'、'.join(CHANNELS)}）")
    return Rung(f"{when}:{to}", when, to, int(item.get("level", 0)), bool(item.get("task", False)), tuple(channels))


def _anchor(name: str, value: str) -> str:
    if value not in {"", "event", "detection"}:
        raise InvalidInput(f"规则 {name} 的起算点无效：{value!r}（应为 event 或 detection）")
    return value


def parse_rules(data: dict) -> dict[str, Rule]:
    rules = {}
    for name, item in data.get("rules", {}).items():
        rules[name] = Rule(
            name=name,
            label=item["label"],
            kind=ClockKind(item["kind"]),
            amount=int(item["amount"]),
            source=item.get("source", ""),
            ladder=tuple(parse_rung(r) for r in item.get("ladder", ())),
            anchor=_anchor(name, item.get("anchor", "")),
        )
    return rules


@lru_cache(maxsize=1)
def default_rules() -> dict[str, Rule]:
    with RULES_FILE.open("rb") as fh:
        return parse_rules(tomllib.load(fh))


def get_rule(name: str) -> Rule:
    try:
        return default_rules()[name]
    except KeyError:
        raise NotFound(f"未知的期限规则：{name}") from None
