"""A case page's clocks as people read them: the due instant the one way, the state in Chinese with
working days (or hours) left or over, and the derivation the deadline activity wrote."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.calendar_store import load_calendar
from gongkai.instants import ClockStatus, clock_status
from models import Deadline


async def clock_states(db: AsyncSession, deadlines: list[Deadline], now: datetime) -> dict[str, ClockStatus]:
    """Each deadline's status by its id (the `_clock.html` macro shows it)."""
    cal = await load_calendar(db) if any(d.kind != "hours" and d.state == "running" for d in deadlines) else None
    return {d.id: clock_status(d.state, d.kind, d.due_at, now, cal) for d in deadlines}
