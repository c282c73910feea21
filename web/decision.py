"""What a signer reads and decides: the chain of opinions earlier steps recorded, with people's names,
and the decision as a form sends it, which must be chosen (nothing is pre-selected, and no answer is
neither a yes nor a no)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.errors import InvalidInput
from gongkai.opinions import Event, Opinion, chain
from models import AuditEvent, User
from web import forms

YES, NO = frozenset({"true", "1", "yes", "on"}), frozenset({"false", "0", "no", "off"})


def decision(data: Mapping[str, Any], yes: str = "同意", no: str = "退回", name: str = "approve") -> bool:
    value = forms.text(data, name).lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise InvalidInput(f"请选择“{yes}”或“{no}”后再提交", field=name)


@dataclass(frozen=True)
class Said:
    """One opinion of the chain as the page shows it: with the person's name, not their login."""

    opinion: Opinion
    name: str


async def opinions(db: AsyncSession, events: Iterable[AuditEvent]) -> list[Said]:
    said = chain(Event(e.action, e.actor, e.at, e.summary, e.detail or {}) for e in events)
    logins = {o.actor for o in said}
    names = {u.username: u.display_name for u in (await db.execute(
        select(User).where(col(User.username).in_(logins)))).scalars()} if logins else {}
    return [Said(o, names.get(o.actor, o.actor)) for o in said]
