"""Time-limit rules and their escalation ladders, as data: what a rule is, what makes one valid, and
the book of rules a case runs by.

The rules an office follows are its jurisdiction profile (gongkai/profiles.py: the national
defaults plus the office's overrides), kept as numbered versions in SQL (gongkai/rule_store.py). A
case carries the `RuleBook` of the version it started with in its workflow input, so replaying it
never depends on what the rules say today. Cases started before profiles carry none: they run by
the national profile as shipped (gongkai.profiles.legacy_book), which is what they ran by then."""

# No `from __future__ import annotations`: RuleBook travels in workflow inputs, and the SDK resolves
# a dataclass's string annotations through sys.modules, which inside the workflow sandbox may not
# hold this module.

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from gongkai.clock import ClockKind, Due, end_of_day, shift_working_days, start_of_day
from gongkai.errors import NotFound
from gongkai.workdays import WorkdayCalendar

AUDIENCES = ("assignee", "department", "department_head", "office_head", "supervisor", "leader", "principal_head")
AUDIENCE_ZH = {
    "assignee": "经办人", "department": "责任部门", "department_head": "部门负责人", "office_head": "公开办负责人",
    "supervisor": "督办人员", "leader": "分管领导", "principal_head": "主要负责人",
}
KIND_ZH = {"working_days": "工作日", "hours": "小时", "calendar_days": "自然日", "months": "月"}
ANCHORS = {"event": "事件发生时", "detection": "发现（舆情）时"}
LEVEL_ZH = {0: "提醒", 1: "督办", 2: "领导督办"}
# Where a rung is sent: in the app (always), by e-mail to each person told, to the case department's
# group robots with the person concerned @-mentioned.
CHANNELS = ("inapp", "email", "group")
REMINDER_HOUR = 9  # working-day reminders arrive at the start of the office day
MAX_AMOUNT = {"working_days": 400, "calendar_days": 1000, "months": 36, "hours": 24 * 60}
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

    def text(self) -> str:
        """The rung as the rules page shows it: 到期前2个工作日提醒经办人, 超期3个工作日报分管领导督办."""
        m = _WHEN.match(self.when)
        if self.when == "due" or not m:
            when = "到期时"
        else:
            n, unit = int(m.group(2)), {"wd": "个工作日", "h": "小时", "m": "分钟"}[m.group(3)]
            if m.group(1) == "-":
                when = "届满日上午9时" if (n, m.group(3)) == (0, "wd") else f"到期前{n}{unit}"
            else:
                when = f"超期{n}{unit}"
        who = AUDIENCE_ZH.get(self.to, self.to)
        told = f"提醒{who}" if self.level == 0 else f"报{who}督办"
        return f"{when}{told}" + ("（生成待办任务）" if self.task else "")


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    kind: ClockKind
    amount: int
    source: str
    ladder: tuple[Rung, ...]
    anchor: str = ""  # hour clocks: run from the "event" or its "detection" (C13)
    applies: bool = True  # False: the office has no such obligation, no clock is started
    # The profile version that last set this rule (0: as shipped, before versions), and who set it
    # when and why, as the deadline explanation names it.
    version: int = 0
    note: str = ""

    def terms(self) -> tuple[object, ...]:
        """What decides a clock and its reminders (not its provenance): two rules with the same
        terms need no recomputation."""
        return (self.label, self.kind, self.amount, self.source, self.anchor, self.applies, self.ladder)


@dataclass(frozen=True)
class RuleBook:
    """The rules a case runs by: a version of the installation's profile, limited to the rules its
    process uses (kept in the case's workflow input)."""

    profile: str
    version: int
    region: str = "cn"
    rules: dict[str, Rule] = field(default_factory=dict)

    def rule(self, name: str) -> Rule:
        try:
            return self.rules[name]
        except KeyError:
            raise NotFound(f"未知的期限规则：{name}") from None

    def only(self, names: tuple[str, ...] | frozenset[str]) -> "RuleBook":
        return replace(self, rules={n: r for n, r in self.rules.items() if n in names})


# -- what makes a rule valid ------------------------------------------------------------------------
def rung_problems(rule: Rule, rung: Rung) -> list[str]:
    """Why a rung can never be sent as written (empty: it can)."""
    m = _WHEN.match(rung.when)
    if not m:
        return [f"提醒时点“{rung.when}”格式无效（应为 due、-3wd、+2wd、-2h、-30m 等）"]
    problems = []
    if rung.to not in AUDIENCES:
        problems.append(f"未知的提醒对象“{rung.to}”（可选：{'、'.join(AUDIENCES)}）")
    if rung.level not in LEVEL_ZH:
        problems.append(f"提醒级别应为 0、1 或 2，而不是 {rung.level}")
    if any(c not in CHANNELS for c in rung.channels):
        problems.append(f"提醒渠道无效：{'、'.join(rung.channels)}（可选：{'、'.join(CHANNELS)}）")
    if rung.when == "due":
        return problems
    sign, n, unit = m.group(1), int(m.group(2)), m.group(3)
    hours = rule.kind == ClockKind.HOURS
    if hours and unit == "wd":
        problems.append(f"以小时计的期限不能按工作日提醒（{rung.when}），请改用小时或分钟")
    elif not hours and unit in {"h", "m"}:
        problems.append(f"以日计的期限应按工作日提醒（{rung.when}），请改用 -Nwd 或 +Nwd")
    elif rule.amount < 0 or (rule.amount == 0 and rule.kind in {ClockKind.HOURS, ClockKind.MONTHS}):
        pass  # the limit itself is refused
    elif sign == "-" and unit == "wd" and rule.kind == ClockKind.WORKING_DAYS and n > rule.amount:
        problems.append(f"提醒时点 {rung.when} 早于起算日（期限只有 {rule.amount} 个工作日），不会发生")
    elif sign == "-" and hours and n * (60 if unit == "h" else 1) >= rule.amount * 60:
        problems.append(f"提醒时点 {rung.when} 不晚于起算时刻（期限只有 {rule.amount} 小时），不会发生")
    return problems


def rule_problems(rule: Rule) -> dict[str, list[str]]:
    """Everything wrong with a rule, by field ("ladder.2" for the third rung); empty: valid."""
    problems: dict[str, list[str]] = {}

    def add(where: str, message: str) -> None:
        problems.setdefault(where, []).append(message)

    if not rule.label.strip():
        add("label", "名称不能为空")
    if not rule.source.strip():
        add("source", "请填写依据（法规条款或本地方案章节）")
    if rule.kind not in MAX_AMOUNT:
        add("kind", f"期限类型无效：{rule.kind}（可选：{'、'.join(MAX_AMOUNT)}）")
        return problems
    if rule.amount < 0:
        add("amount", f"期限不能为负数（{rule.amount}）")
    elif rule.amount == 0 and rule.kind in {ClockKind.HOURS, ClockKind.MONTHS}:
        add("amount", f"以{KIND_ZH[rule.kind]}计的期限不能为 0（同日办结请用 0 个工作日）")
    elif rule.amount > MAX_AMOUNT[rule.kind]:
        add("amount", f"期限过长：{rule.amount}{KIND_ZH[rule.kind]}（上限 {MAX_AMOUNT[rule.kind]}）")
    if rule.anchor and rule.anchor not in ANCHORS:
        add("anchor", f"起算点无效：{rule.anchor}（应为 event 或 detection）")
    elif rule.anchor and rule.kind != ClockKind.HOURS:
        add("anchor", "只有以小时计的期限可以选择起算点")
    seen: set[str] = set()
    for i, rung in enumerate(rule.ladder):
        for message in rung_problems(rule, rung):
            add(f"ladder.{i}", f"第 {i + 1} 级提醒：{message}")
        if rung.key in seen:
            add(f"ladder.{i}", f"第 {i + 1} 级提醒与前面的重复（{rung.when} {rung.to}）")
        seen.add(rung.key)
    return problems
