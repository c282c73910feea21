"""Signing off: the decision a signer must choose (nothing is pre-selected), the chain of opinions
earlier steps recorded, and what changed since the version before. The policy sign-off queue lives
here: each document collapsed to a summary line, the opinions and the form above it. (The
decision itself is read by web/decision.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import NotFound
from gongkai.textdiff import Line, diff
from models import AuditEvent, PolicyCase, PolicyVersion, User
from web import actions
from web.actions import Refusal
from web.decision import Said, opinions
from web.policy import ACTIONS, APPROVAL_AT, PROCESS, _options, args_for, visible
from web.render import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
QUEUE = "/policy/queue"
PARTS = (("document_text", "政策文件"), ("plan_text", "解读方案"), ("materials_text", "解读材料"))


async def case_opinions(db: AsyncSession, case_id: str) -> list[Said]:
    return await opinions(db, (await db.execute(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(
        col(AuditEvent.at), col(AuditEvent.id)))).scalars())


@dataclass(frozen=True)
class Change:
    """What changed in one part of the document between two kept versions."""

    part: str
    label: str
    lines: list[Line]

    @property
    def changed(self) -> bool:
        return any(line.changed for line in self.lines)


@dataclass(frozen=True)
class Comparison:
    new: PolicyVersion
    old: PolicyVersion | None
    changes: list[Change]

    @property
    def changed_lines(self) -> int:
        return sum(line.changed for c in self.changes for line in c.lines)


async def versions(db: AsyncSession, case_id: str) -> list[PolicyVersion]:
    return list((await db.execute(select(PolicyVersion).where(PolicyVersion.case_id == case_id).order_by(
        col(PolicyVersion.number)))).scalars())


def compare(kept: list[PolicyVersion], number: int | None = None) -> Comparison | None:
    """Version `number` (the newest by default) against the version submitted before it."""
    if not kept:
        return None
    at = next((i for i, v in enumerate(kept) if v.number == number), None) if number is not None else len(kept) - 1
    if at is None:
        raise NotFound("没有这个版本")
    new, old = kept[at], kept[at - 1] if at else None
    changes = [Change(name, label, diff(getattr(old, name) if old else "", getattr(new, name)))
               for name, label in PARTS] if old else []
    return Comparison(new, old, changes)


async def queue_page(db: AsyncSession, user: User, refusal: Refusal | None = None, refused: str | None = None
                     ) -> Template:
    """What waits for the signed-in person's sign-off: the action table decides, case by case."""
    actor = await actions.actor_of(db, user)
    now = datetime.now(CST)
    rows = [r for r in (await db.execute(select(PolicyCase).where(col(PolicyCase.stage).in_(list(APPROVAL_AT)))
                                         .order_by(col(PolicyCase.updated_at)))).scalars()
            if ACTIONS.allows(APPROVAL_AT[r.stage], PROCESS.view_of(r), actor, now)]
    items = [(r, PROCESS.view_of(r), await case_opinions(db, r.id), compare(await versions(db, r.id)))
             for r in rows]
    return await page("policy/queue.html", db, user, status_code=refusal.status if refusal else 200, items=items,
                      now=now, refusal=refusal, refused=refused, **_options())


class SignOffController(Controller):
    path = "/policy"
    include_in_schema = False

    @get("/queue")
    async def queue(self, db: AsyncSession, user: User) -> Template:
        return await queue_page(db, user)

    @post("/queue/{case_id:str}/{action:str}")
    async def sign(self, db: AsyncSession, state: State, user: User, case_id: str, action: str, data: Form
                   ) -> Redirect | Template:
        """A decision from the queue: refused, the queue again with the message beside that form."""
        row = await visible(db, user, case_id)

        async def args() -> list[Any]:
            return args_for(action, data, await actions.actor_of(db, user), row)

        return await actions.submit(state, db, PROCESS, case_id, action, args, data,
                                    lambda refusal: queue_page(db, user, refusal, case_id), QUEUE)

    @get("/{case_id:str}/versions")
    async def version_diff(self, db: AsyncSession, user: User, case_id: str, number: int | None = None
                           ) -> Template:
        """What changed between a version submitted for sign-off and the one submitted before it."""
        row = await visible(db, user, case_id)
        kept = await versions(db, case_id)
        return await page("policy/versions.html", db, user, row=row, kept=kept, cmp=compare(kept, number),
                          **_options())
