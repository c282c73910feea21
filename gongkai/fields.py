"""Checks of what a person typed, shared by every process: required text within the length its
column holds (a longer value would fail in the database after the action was accepted), and
dates that are real, not in the future, within the calendar's years, not before another. Each
refusal names its field."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from gongkai.errors import DateOutOfRange, InvalidInput
from gongkai.workdays import FIRST_YEAR, LAST_YEAR, supported

MAX_ID = 2**31 - 1  # ids are INTEGER columns


def text(value: str, *, field: str, what: str, limit: int, required: bool = True, empty: str = "") -> str:
    """The value stripped; refused when empty (if required: `empty` says why) or longer than
    `limit` characters."""
    value = value.strip()
    if required and not value:
        raise InvalidInput(empty or f"请填写{what}", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{what}不能超过{limit}字（现为{len(value)}字）", field=field)
    return value


def day(value: str, *, field: str, what: str, today: date, not_before: date | None = None,
        before_what: str = "") -> date:
    """An ISO date that has come, within the working-day calendar's years, and not before `not_before`."""
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{what}格式应为 YYYY-MM-DD", field=field) from None
    if parsed > today:
        raise InvalidInput(f"{what}不能晚于今天", field=field)
    if not supported(parsed):
        raise DateOutOfRange(f"{what}不在系统可计算期限的范围内（{FIRST_YEAR}年至{LAST_YEAR}年），请核对", field=field)
    if not_before is not None and parsed < not_before:
        raise InvalidInput(f"{what}不能早于{before_what}（{not_before.isoformat()}）", field=field)
    return parsed


def check_url(value: str, *, field: str, what: str, limit: int = 500, required: bool = True) -> str:
    """A web address someone can open: http or https, with a host ("not a url" is refused)."""
    value = text(value, field=field, what=what, limit=limit, required=required)
    if not value:
        return value
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not host or any(c.isspace() for c in value):
        raise InvalidInput(f"{what}应为以 http:// 或 https:// 开头的完整网址", field=field)
    return value
