"""Checks of what a person typed, shared by every process: required text within the length its
column holds (a longer value would fail in the database after the action was accepted), dates
that are real, not in the future, within the calendar's years, not before another, and web
addresses a reader can open. Each refusal names its field."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
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


# A host name: labels of letters (any script: 政府.cn), digits and hyphens, separated by dots.
_HOST = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)*[^\W_](?:[\w-]*[^\W_])?\.?", re.UNICODE)


def url(value: str, *, field: str, what: str, limit: int = 500, required: bool = True) -> str:
    """A web address a reader can open: http or https, a host (name or IP address), no spaces;
    stripped. "not a url", "www.gov.cn" (no scheme) and "http://" (no host) are refused."""
    value = text(value, field=field, what=what, limit=limit, required=required)
    if not value:
        return value
    example = f"{what}应为完整的网址，以 http:// 或 https:// 开头，例如 https://www.gov.cn/zhengce/"
    if not value.lower().startswith(("http://", "https://")):
        raise InvalidInput(example, field=field)
    if any(c.isspace() for c in value):
        raise InvalidInput(f"{what}不能含有空格。{example}", field=field)
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise InvalidInput(f"{what}格式无效。{example}", field=field) from None
    if parts.username is not None:
        raise InvalidInput(f"{what}不能含有用户名或密码。{example}", field=field)
    host = parts.hostname or ""
    if not host or port == 0 or not _valid_host(host):
        raise InvalidInput(f"{what}缺少有效的网站域名或地址。{example}", field=field)
    return value


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.fullmatch(host)) and len(host) <= 253


def instant(value: str, *, field: str, what: str) -> datetime:
    """An instant as sent (ISO 8601 with its offset): updates carry instants as text, which every
    client and recorded history decodes the same way."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{what}格式无效，应为“年-月-日 时:分”", field=field) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{what}必须带时区", field=field)
    return parsed
