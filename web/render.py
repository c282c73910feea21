"""Page rendering helpers: every page gets the user and the navigation counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from models import User
from models.accounts import ROLE_ZH
from web.deps import nav_counts


def beijing(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(CST).strftime(fmt) if value else "—"


async def page(name: str, db: AsyncSession, user: User | None, status_code: int = 200, **context: Any) -> Template:
    if user is not None:
        context.setdefault("nav", await nav_counts(db, user))
    context["user"] = user
    context["role_zh"] = ROLE_ZH
    return Template(template_name=name, context=context, status_code=status_code)
