"""Page rendering helpers: every page gets the user and the navigation counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from models import User
from models.accounts import ROLE_ZH, WIDE_ROLES
from web.deps import nav_counts


def beijing(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(CST).strftime(fmt) if value else "—"


CASE_PATHS = {"disclosure": "/disclosure/", "policy": "/policy/", "incident": "/incidents/"}
PREFIX_PROCESS = {"DR": "disclosure", "PD": "policy", "IN": "incident"}  # business-key prefixes


def case_url(process: str | None, case_id: str) -> str:
    """Where a case of any process is shown (inbox, board and notifications link here)."""
    process = process or PREFIX_PROCESS.get(case_id[:2], "disclosure")
    return CASE_PATHS.get(process, "/disclosure/") + case_id


async def page(name: str, db: AsyncSession, user: User | None, status_code: int = 200, **context: Any) -> Template:
    if user is not None:
        context.setdefault("nav", await nav_counts(db, user))
    context["user"] = user
    context["role_zh"] = ROLE_ZH
    context["wide_roles"] = WIDE_ROLES
    context["case_url"] = case_url
    return Template(template_name=name, context=context, status_code=status_code)
