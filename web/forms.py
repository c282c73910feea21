"""Reading what a form or a JSON body sent, for every process: text as typed (the workflow's
checks decide what is acceptable, with a message beside the field), numbers and ids that fit the
database, yes/no, lists, and Beijing wall-clock times. A value that cannot be read at all is
refused here, naming its field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.fields import MAX_ID

YES = {"1", "true", "on", "yes", "approve"}


def text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise InvalidInput(f"字段 {name} 应为文字", field=name)


def filter_id(value: str) -> int | None:
    """A list filter's id as the query sent it: a filter form's 全部 sends an empty value, and
    anything but a real id means 全部 too (a filter never refuses the page)."""
    digits = value.isascii() and value.isdigit()
    return int(value) if digits and 0 < int(value) <= MAX_ID else None


def flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in YES


def number(data: Mapping[str, Any], name: str, what: str, *, default: int | None = None, low: int = 0,
           high: int = MAX_ID, chosen: bool = False) -> int:
    """A whole number in [low, high]; `chosen`: picked from a list (an id), so an empty one asks to choose."""
    raw = text(data, name)
    if not raw:
        if default is not None:
            return default
        raise InvalidInput(f"请{'选择' if chosen else '填写'}{what}", field=name)
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{what}应为整数", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{what}应在 {low} 至 {high} 之间", field=name)
    return value


def numbers(data: Mapping[str, Any], name: str, what: str) -> list[int]:
    """A list of ids (a multi-select, or a JSON array)."""
    raw = data.get(name)
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise InvalidInput(f"{what}无效", field=name)
        value = number({name: item}, name, what, low=1)
        out.append(value)
    return sorted(set(out))


def strings(data: Mapping[str, Any], name: str) -> list[str]:
    raw = data.get(name)
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(item, str) for item in items):
        raise InvalidInput(f"字段 {name} 应为文字列表", field=name)
    return [item.strip() for item in items if item.strip()]


def instant(data: Mapping[str, Any], name: str, what: str, default: datetime | None = None) -> datetime:
    """A Beijing wall-clock time (what <input type="datetime-local"> sends), or ISO 8601 with an offset."""
    raw = text(data, name)
    if not raw:
        if default is not None:
            return default
        raise InvalidInput(f"请填写{what}", field=name)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{what}格式无效，应为“年-月-日 时:分”", field=name) from None
    return parsed.replace(tzinfo=CST) if parsed.tzinfo is None else parsed


def typed(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the person typed, to show again beside a refusal (not the CSRF token)."""
    return {k: v for k, v in data.items() if k != "_csrf_token" and isinstance(v, str | list | int | float)}
