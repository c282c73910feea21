"""Staff work contacts as typed (an account's e-mail address and mobile number, which messages
outside the browser use): checked and written one way. Each refusal names its field."""

from __future__ import annotations

import re

from gongkai.errors import InvalidInput

EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
MOBILE = re.compile(r"1\d{10}")
EMAIL_CHARS = 200  # account.email


def email_address(value: str, *, field: str = "email", required: bool = False) -> str:
    """An e-mail address (name@host.domain), stripped; "" when empty and not required."""
    value = value.strip()
    if not value:
        if required:
            raise InvalidInput("请填写电子邮件地址", field=field)
        return ""
    if len(value) > EMAIL_CHARS or not EMAIL.fullmatch(value):
        raise InvalidInput("电子邮件地址格式不正确，例如 zhangsan@example.gov.cn", field=field)
    return value


def mobile_number(value: str, *, field: str = "mobile") -> str:
    """A mainland mobile number: 11 digits starting with 1. Spaces, hyphens and a leading +86 are
    dropped, so "+86 138-0000-0000" is kept as 13800000000 (what a group robot @-mentions)."""
    value = re.sub(r"[\s-]", "", value)
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    if not MOBILE.fullmatch(value):
        raise InvalidInput("手机号码应为以1开头的11位数字，例如 13800000000", field=field)
    return value
