"""Plain-words derivations of a Due, in Chinese (the UI) and English (the CLI and logs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gongkai.clock import UNIT_EN, UNIT_ZH, ClockKind, Due, Step
from gongkai.instants import instant_text, span_text
from gongkai.statutory import BASIS_ZH

WEEKDAY_ZH = "一二三四五六日"
WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _d(day: date | None, lang: str) -> str:
    if day is None:
        return "?"
    if lang == "zh":
        return f"{day.isoformat()}（周{WEEKDAY_ZH[day.weekday()]}）"
    return f"{day.isoformat()} ({WEEKDAY_EN[day.weekday()]})"


def _t(at: datetime | None) -> str:
    return due_text(at) if at else "?"


def due_text(at: datetime) -> str:
    """Beijing time; midnight is written as 24:00 of the day before, as the law counts it."""
    return instant_text(at)


def span_zh(delta: timedelta) -> str:
    """A duration as officers read a countdown: 3小时12分, 2天4小时."""
    return span_text(delta)


def _same_day(step: Step, due: Due) -> bool:
    return step.count == 0 and due.kind is not ClockKind.HOURS


def _version_zh(step: Step) -> str:
    """规则版本 3，2026-12-01 王管理员修改：原因 (version 0: the rules as shipped, before versions)."""
    version = f"规则版本 {step.version}" if step.version else "规则版本：系统内置"
    note = step.note.strip().rstrip("。.")
    return f"{version}，{note}" if note else version


def _version_en(step: Step) -> str:
    version = f"rule version {step.version}" if step.version else "rule version: built in"
    note = step.note.strip().rstrip("。.")
    return f"{version}, {note}" if note else version


def _zh(step: Step, due: Due) -> str:
    c = step.code
    if c == "rule":
        cited = f"依{step.source}，" if step.source else ""
        limit = "为当日" if _same_day(step, due) else f"{step.count}{UNIT_ZH[due.kind]}"
        return f"{cited}{step.name}{limit}；{_version_zh(step)}。"
    if c == "same_day":
        return f"同日规则（如与文件同步发布）：起算日 {_d(step.day, 'zh')} 当天届满，当天不是工作日也不顺延。"
    if c == "restart":
        why = f"（{step.name}）" if step.name else ""
        return f"期限自 {_d(step.day, 'zh')} 重新起算{why}，此前的暂停和延长不再适用。"
    if c == "start_day":
        return f"起算日 {_d(step.day, 'zh')} 当日不计入，从次日开始计算（民法典第二百零一条）。"
    if c == "start_instant":
        return f"自 {_t(step.at)}（北京时间）起按小时连续计算，昼夜不停。"
    if c == "holiday":
        span = _d(step.day, "zh") if step.day == step.until else f"{_d(step.day, 'zh')} 至 {_d(step.until, 'zh')}"
        weekdays = f"（其中 {step.count} 天为周一至周五）" if step.count else ""
        return f"{span} {step.name}假期，不计入{weekdays}。"
    if c == "makeup":
        return f"{_d(step.day, 'zh')} 为{step.name}调休上班日，计为第 {step.count} 个工作日。"
    if c == "paused":
        return (f"{_d(step.day, 'zh')} 暂停计时，至 {_d(step.until, 'zh')} 恢复："
                f"其间 {step.count} 个工作日不计入。")
    if c == "paused_open":
        return f"自 {_d(step.day, 'zh') if step.day else _t(step.at)} 起暂停计时，恢复后继续计算（已计 {step.count}）。"
    if c == "paused_hours":
        return f"{_t(step.at)} 起暂停 {step.count} 分钟，不计入。"
    if c == "paused_last_day":
        return (f"{_d(step.day, 'zh')} 为届满日，当日暂停计时，至 {_d(step.until, 'zh')} 恢复：届满日改为恢复之日"
                f"（或其后第一个工作日）{_d(date.fromisoformat(step.name), 'zh')}。")
    if c == "paused_after_due":
        return f"{_d(step.day, 'zh')} 暂停计时时期限已经届满，暂停不改变期限。"
    if c == "paused_days":
        return f"暂停的 {step.count} 日不计入，期满日相应顺延。"
    if c == "provisional":
        if step.name == "statutory":
            return f"注意：{step.count}年的节假日安排尚未公布，{BASIS_ZH}，结果为暂定，待国务院公布安排后自动重新计算。"
        if step.name == "regional":
            return (f"注意：{step.count}年的地方节假日安排尚未录入，该年只按全国安排推算，结果为暂定，"
                    "录入后自动重新计算。")
        return (f"注意：{step.count}年的法定节假日安排尚未录入，该年只按周末推算，结果为暂定，"
                "待国务院公布安排后自动重新计算。")
    if c == "base_due":
        if step.count == 0:
            return "延长的工作日从起算日次日开始计算。"
        return f"原期限（{step.count}个工作日）届满日为 {_d(step.day, 'zh')}。"
    if c == "extension":
        why = f"，理由：{step.name}" if step.name else ""
        return f"{_t(step.at)} 批准延长 {step.count}{UNIT_ZH[due.kind]}{why}。"
    if c == "nominal_day":
        return f"按日历推算的届满日为 {_d(step.day, 'zh')}。"
    if c == "roll_forward":
        return (f"{_d(step.day, 'zh')} 不是工作日，顺延至其后第一个工作日 {_d(step.until, 'zh')}"
                "（民法典第二百零三条）。")
    if c == "last_day":
        return f"届满日为 {_d(step.day, 'zh')}，截止时间为当日二十四时。"
    if c == "due_instant":
        return f"截止时间为 {_t(step.at)}（北京时间）。"
    return c


def _en(step: Step, due: Due) -> str:
    c = step.code
    if c == "rule":
        cited = f" ({step.source})" if step.source else ""
        limit = "the same day" if _same_day(step, due) else f"{step.count} {UNIT_EN[due.kind]}"
        return f"Rule: {step.name}, {limit}{cited}; {_version_en(step)}."
    if c == "same_day":
        return (f"Same-day rule (e.g. published with the document): due on the start day {_d(step.day, 'en')} "
                "itself, working day or not; it is not moved forward.")
    if c == "restart":
        why = f" ({step.name})" if step.name else ""
        return f"Period restarted from {_d(step.day, 'en')}{why}; earlier pauses and extensions no longer apply."
    if c == "start_day":
        return f"Start day {_d(step.day, 'en')} is not counted; counting begins the next day (Civil Code Art. 201)."
    if c == "start_instant":
        return f"Counted in wall-clock hours from {_t(step.at)} Beijing time, day and night."
    if c == "holiday":
        span = _d(step.day, "en") if step.day == step.until else f"{_d(step.day, 'en')} to {_d(step.until, 'en')}"
        weekdays = f" ({step.count} of them Mon-Fri)" if step.count else ""
        return f"Skipped {span}: {step.name} holiday{weekdays}."
    if c == "makeup":
        return f"Counted {_d(step.day, 'en')}: make-up working day for {step.name}, working day {step.count}."
    if c == "paused":
        return f"Paused after {_d(step.day, 'en')} until {_d(step.until, 'en')}: {step.count} working days not counted."
    if c == "paused_open":
        where = _d(step.day, "en") if step.day else _t(step.at)
        return f"Paused since {where}; counting resumes when the clock is resumed ({step.count} counted so far)."
    if c == "paused_hours":
        return f"Paused at {_t(step.at)} for {step.count} minutes, not counted."
    if c == "paused_last_day":
        return (f"Paused on the last day {_d(step.day, 'en')}, resumed {_d(step.until, 'en')}: the last day becomes "
                f"{_d(date.fromisoformat(step.name), 'en')}, the first working day on or after the resume date.")
    if c == "paused_after_due":
        return f"Paused on {_d(step.day, 'en')}, after the last day had passed: the deadline does not move."
    if c == "paused_days":
        return f"{step.count} paused days not counted; the end moves by as many days."
    if c == "provisional":
        if step.name == "statutory":
            return (f"WARNING: no official holiday arrangement for {step.count} yet; that year counts the statutory "
                    f"holidays only, without make-up working days, and the result is PROVISIONAL ({BASIS_ZH}).")
        if step.name == "regional":
            return (f"WARNING: no regional holiday arrangement for {step.count} yet; that year counts the national "
                    "arrangement only and the result is PROVISIONAL.")
        return (f"WARNING: no official holiday arrangement for {step.count} yet; that year is counted by weekends "
                "only and the result is PROVISIONAL.")
    if c == "base_due":
        if step.count == 0:
            return "The extension counts working days from the day after the start day."
        return f"Original period ({step.count} working days) ended on {_d(step.day, 'en')}."
    if c == "extension":
        why = f": {step.name}" if step.name else ""
        return f"Extended by {step.count} {UNIT_EN[due.kind]} at {_t(step.at)}{why}."
    if c == "nominal_day":
        return f"Nominal last day {_d(step.day, 'en')}."
    if c == "roll_forward":
        return f"{_d(step.day, 'en')} is not a working day: moved to {_d(step.until, 'en')} (Civil Code Art. 203)."
    if c == "last_day":
        return f"Last day {_d(step.day, 'en')}; due at 24:00 that day, Beijing time."
    if c == "due_instant":
        return f"Due at {_t(step.at)} Beijing time."
    return c


def explain(due: Due, lang: str = "zh") -> list[str]:
    render = _zh if lang == "zh" else _en
    return [render(step, due) for step in due.steps]
