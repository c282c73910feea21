"""Page rendering helpers: every page and fragment gets the user, what the user may open, and the
helpers templates share; a whole page also gets the navigation counts."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from jinja2 import TemplateRuntimeError, Undefined, UndefinedError
from jinja2.utils import missing
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.instants import instant_text
from gongkai.paths import case_url
from gongkai.roles import ROLE_ZH
from models import User
from web.guards import capabilities
from web.reading import nav_counts


class ViewUndefined(Undefined):
    """What a template gets for a name its context lacks: empty, as usual (an optional form value, a
    page without a user), except a field a view or record does not have, which is an error: a
    renamed or misspelt field of a case's view breaks its page (and its tests) instead of blanking it."""

    def __init__(self, hint: str | None = None, obj: Any = missing, name: str | None = None,
                 exc: type[TemplateRuntimeError] = UndefinedError) -> None:
        super().__init__(hint, obj, name, exc)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            self._fail_with_undefined_error()


def beijing(value: datetime | None, fmt: str | None = None) -> str:
    """An instant in Beijing time, written the one way (gongkai.instants), or in `fmt`."""
    if value is None:
        return "—"
    return instant_text(value) if fmt is None else value.astimezone(CST).strftime(fmt)


def fragment(name: str, user: User | None, status_code: int = 200, **context: Any) -> Template:
    """A part of a page (htmx swaps it in), with the context every template may use."""
    context.update(user=user, role_zh=ROLE_ZH, case_url=case_url, can=capabilities(user.role if user else ""))
    return Template(template_name=name, context=context, status_code=status_code)


async def page(name: str, db: AsyncSession, user: User | None, status_code: int = 200, **context: Any) -> Template:
    if user is not None:
        context.setdefault("nav", await nav_counts(db, user))
    return fragment(name, user, status_code, **context)
