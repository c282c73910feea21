"""The daily digest (每日待办摘要): what each person is sent at 08:30 on a working day, composed from
the open tasks an activity read for them. Pure: the same rows, time and calendar give the same text.

One message per person: their 待办 by urgency (the inbox's urgency: gongkai.worklist.urgency for
day clocks, gongkai.incident.hour_urgency for hour clocks), a head's overdue work in the
department, and the escalations (督办) addressed to them; each line with the case, what is due,
when and how far over, and a link. Nothing to report, no message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from gongkai.clock import CST
from gongkai.incident import hour_urgency
from gongkai.instants import clock_status, deadline_text
from gongkai.paths import case_url
from gongkai.workdays import WorkdayCalendar
from gongkai.worklist import fold, task_matter, urgency

HOUR, MINUTE = 8, 30  # Beijing time: before the day's first held messages go out at 09:00 (routing.MORNING)
LINES = 10  # tasks listed per section; the rest are counted and found in the inbox
TITLE_CHARS = 200  # Delivery.title, Notification.title
BODY_CHARS = 4000  # Delivery.body
SUMMARY_CHARS = 1000  # Notification.body
INBOX = "/inbox"
ESCALATION = "escalation:"
# The inbox's urgency words, in the digest's order; on_track and none are 其他.
BUCKETS = (("overdue", "已超期"), ("due_today", "今日到期"), ("due_soon", "即将到期"), ("other", "其他"))


@dataclass(frozen=True)
class Item:
    """An open task as the digest reads it (from the `task` row)."""

    case_id: str
    process: str
    kind: str
    title: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class Digest:
    user_id: int
    title: str  # the e-mail's subject and the notice's title: a phone notification's first line
    body: str  # the e-mail: every section, each task with its link
    summary: str  # the in-app notice: the counts
    link: str  # the inbox, where the whole list is


def digest_at(day: date) -> datetime:
    """08:30 of `day` in Beijing time, as a UTC instant: the moment a day's digest speaks of."""
    return datetime.combine(day, time(HOUR, MINUTE), CST).astimezone(UTC)


def bucket(item: Item, now: datetime, cal: WorkdayCalendar) -> str:
    if item.process == "incident" and item.due_at is not None:
        level = hour_urgency(item.due_at, now)
    else:
        level = urgency(cal, item.due_at, now)[0]
    return level if level in {"overdue", "due_today", "due_soon"} else "other"


def when_text(item: Item, now: datetime, cal: WorkdayCalendar) -> str:
    """截止 2026-12-02 24:00，已超期 2 个工作日 (hour clocks: in hours and minutes)."""
    if item.due_at is None:
        return "未定截止时间"
    kind = "hours" if item.process == "incident" else "working_days"
    return f"{deadline_text(item.due_at)}，{clock_status('running', kind, item.due_at, now, cal).left}"


def matters(items: Iterable[Item]) -> list[Item]:
    """One per case and matter (a case's 督办 rows are one), soonest due first, undated last."""
    latest = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(items, key=lambda i: (i.due_at is None, i.due_at or latest, i.case_id, i.kind))
    return [m.first for m in fold(ordered, lambda i: task_matter(i.case_id, i.kind))]


def _line(item: Item, now: datetime, cal: WorkdayCalendar, link_base: str) -> list[str]:
    what = item.title if item.case_id in item.title else f"{item.case_id} {item.title}"
    return [f"· {what}", f"  {when_text(item, now, cal)}", f"  {link_base}{case_url(item.process, item.case_id)}"]


def _listed(items: list[Item], now: datetime, cal: WorkdayCalendar, link_base: str) -> list[str]:
    lines = [line for item in items[:LINES] for line in _line(item, now, cal, link_base)]
    if len(items) > LINES:
        lines.append(f"……另有 {len(items) - LINES} 项，见待办列表")
    return lines


def _fit(lines: list[str], limit: int) -> str:
    """The lines, cut at a line so the text fits `limit` characters."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    more = "……（内容过长，其余见待办列表）"
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line, more])) > limit:
            break
        kept.append(line)
    return "\n".join([*kept, more])


def compose(user_id: int, todo: Iterable[Item], *, day: date, now: datetime, cal: WorkdayCalendar,
            link_base: str, department_overdue: Iterable[Item] = ()) -> Digest | None:
    """The person's digest, or None when there is nothing to report. `todo` is their 待办 as the
    inbox reads it (escalations addressed to them are listed as 督办); `department_overdue`, for a
    head, the department's open work whose time is up."""
    own = matters(todo)
    escalations = [i for i in own if i.kind.startswith(ESCALATION)]
    tasks = [i for i in own if not i.kind.startswith(ESCALATION)]
    overdue = [i for i in matters(department_overdue) if bucket(i, now, cal) == "overdue"]
    if not (tasks or escalations or overdue):
        return None
    by = {key: [i for i in tasks if bucket(i, now, cal) == key] for key, _ in BUCKETS}
    counts = "，".join(f"{zh} {len(by[key])}" for key, zh in BUCKETS if by[key])
    local = now.astimezone(CST)
    lines = [f"截至 {day.month}月{day.day}日 {local:%H:%M}（北京时间）："]
    summary: list[str] = []
    if tasks:
        lines += ["", f"【我的待办】共 {len(tasks)} 项：{counts}"]
        room = LINES  # the most urgent first, under their urgency's heading
        for key, zh in BUCKETS:
            part, room = by[key][:room], room - len(by[key][:room])
            if part:
                lines += [f"{zh}（{len(by[key])}）", *_listed(part, now, cal, link_base)]
        if len(tasks) > LINES:
            lines.append(f"……另有 {len(tasks) - LINES} 项，见待办列表")
        summary.append(f"待办 {len(tasks)} 项（{counts}）")
    if overdue:
        lines += ["", f"【本部门超期事项】共 {len(overdue)} 项", *_listed(overdue, now, cal, link_base)]
        summary.append(f"本部门超期 {len(overdue)} 项")
    if escalations:
        lines += ["", f"【督办事项】共 {len(escalations)} 项", *_listed(escalations, now, cal, link_base)]
        summary.append(f"督办 {len(escalations)} 项")
    urgent = [f"{zh}{n}项" for zh, n in (("已超期", len(by["overdue"])), ("今日到期", len(by["due_today"])),
                                        ("督办", len(escalations)), ("本部门超期", len(overdue))) if n]
    headline = "，".join(urgent) or f"待办{len(tasks)}项"
    return Digest(
        user_id=user_id,
        title=f"每日待办摘要（{day.month}月{day.day}日）：{headline}"[:TITLE_CHARS],
        body=_fit(lines, BODY_CHARS),
        summary=("；".join(summary) + "。详见待办列表。")[:SUMMARY_CHARS],
        link=f"{link_base}{INBOX}",
    )
