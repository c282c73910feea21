"""Changes that move open deadlines, made by an administrator: a newer version of the office's rules,
or a changed working-day calendar. One mechanism for both: each affected case gets the `recompute`
update (workflows/deadline.py, workflows/kit.py; sent by web/recompute.py), which moves its clocks,
audits each move with its reason and tells the assignee. A rule change is previewed first (here:
which deadlines move, and by how much) and applied only when the administrator says so; a calendar
change (the State Council's arrangement is law) is applied to every open case when it is saved."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.converter import AdvancedJSONEncoder, value_to_type

from gongkai.calendar_store import load_calendar
from gongkai.clock import ClockKind, ClockSpec, compute
from gongkai.logs import get_logger
from gongkai.rule_store import book_of, rule_at
from models import Deadline, RuleVersion

log = get_logger(__name__)


def spec_json(spec: ClockSpec) -> dict[str, Any]:
    return json.loads(json.dumps(spec, cls=AdvancedJSONEncoder))


def spec_of_json(data: dict[str, Any]) -> ClockSpec:
    return value_to_type(ClockSpec, data)


@dataclass(frozen=True)
class Move:
    """An open deadline a newer rules version would change."""

    case_id: str
    workflow_id: str
    process: str
    title: str
    deadline_id: str
    rule: str
    label: str
    due_from: datetime | None
    due_to: datetime | None  # None: paused, or the rule no longer applies (`cancelled`)
    assignee_id: int | None = None
    cancelled: bool = False
    unknown: bool = False  # a clock recorded before previews: its new due shows once applied


async def open_deadlines(session: AsyncSession) -> list[Deadline]:
    q = select(Deadline).where(col(Deadline.state).in_(("running", "paused"))).order_by(col(Deadline.case_id))
    return list((await session.execute(q)).scalars())


async def preview_rules(session: AsyncSession, row: RuleVersion) -> list[Move]:
    """The open deadlines of cases on an older version whose rule the version `row` changes, with
    the due instant each would get (computed from the clock's recorded history, as the workflow will)."""
    book = book_of(row)
    moves: list[Move] = []
    for d in await open_deadlines(session):
        spec = d.spec or {}
        profile, version = spec.get("profile", ""), int(spec.get("rules_version", 0))
        if profile == row.profile and version >= row.number:
            continue
        new = book.rules.get(d.rule)
        if new is None:
            continue
        old = await rule_at(session, profile, version, d.rule)
        if old.terms() == new.terms():
            continue
        title = await _title(session, d)
        move = partial(Move, d.case_id, d.workflow_id, d.process, title, d.id, d.rule, new.label, d.due_at,
                       assignee_id=d.assignee_id)
        if not new.applies:
            moves.append(move(None, cancelled=True))
            continue
        if "clock" not in spec:
            moves.append(move(None, unknown=True))
            continue
        clock = spec_of_json(spec["clock"])
        if clock.amount == old.amount:
            clock = replace(clock, amount=new.amount, kind=ClockKind(new.kind))
        try:
            due = compute(clock, await load_calendar(session, row.region)).due_at
        except ValueError:
            moves.append(move(None, unknown=True))
            continue
        moves.append(move(due))
    return moves


async def _title(session: AsyncSession, d: Deadline) -> str:
    from models import Task  # the case's title as its tasks carry it

    found = (await session.execute(select(Task.title).where(Task.case_id == d.case_id).limit(1))).scalars().first()
    return found or d.label
