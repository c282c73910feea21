"""Rate limits kept in SQL, so that every web process sees the same counts. Each attempt is
counted and checked in one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING, on SQLite
and PostgreSQL alike): a read and then a write let parallel attempts through uncounted.

Attempts are counted before the thing they try (a password, a query code) is checked, so a
burst sent in parallel is refused past its limit instead of all being checked at once; a caller
takes back an attempt that turned out right (`undo`, `clear`), so only failures add up.

Two kinds of policy:
- growing delays (an account): the first `free` attempts pass; after that each attempt let
  through makes the next one wait base, 2·base, 4·base … at most `cap`. Attempts refused while
  waiting are counted but do not move the wait, so nobody can push it past `cap`. The count
  starts again after `window` without any attempt.
- a cap (an address, a case): at most `limit` attempts in a window that starts with the first
  one; the rest of that window is refused, however many more come.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, case, delete, literal, null, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.throttle import Throttle

KEEP = timedelta(days=2)  # rows untouched for longer than every window are forgotten
MAX_STEPS = 64


@dataclass(frozen=True)
class Policy:
    window: timedelta
    limit: int | None = None  # a cap: attempts per window
    free: int = 0  # growing delays: attempts before the first wait
    base: float = 0.0  # seconds
    cap: float = 0.0  # seconds

    @classmethod
    def capped(cls, limit: int, window: timedelta) -> Policy:
        return cls(window=window, limit=limit)

    @classmethod
    def growing(cls, free: int, base: float, cap: float, window: timedelta) -> Policy:
        return cls(window=window, free=free, base=base, cap=cap)

    def delay(self, attempts: int) -> float:
        """Seconds the next attempt waits after the `attempts`-th was let through."""
        if self.limit is not None or attempts <= self.free or self.base <= 0:
            return 0.0
        return min(self.cap, self.base * 2 ** min(attempts - self.free - 1, MAX_STEPS))

    def steps(self) -> list[tuple[int, float]]:
        """(from the n-th attempt on, the wait): delay() as a finite ladder ending at `cap`, for SQL."""
        steps: list[tuple[int, float]] = []
        n = self.free + 1
        while self.delay(n) > 0 and len(steps) < MAX_STEPS:
            steps.append((n, self.delay(n)))
            if self.delay(n) >= self.cap:
                break
            n += 1
        return steps


@dataclass(frozen=True)
class Verdict:
    key: str
    allowed: bool
    attempts: int  # this attempt's number in the window
    window_start: datetime
    retry_at: datetime | None  # a refused attempt: when the next one may pass


def _upsert(dialect: str, key: str, policy: Policy, now: datetime):
    table: Table = Throttle.__table__  # pyright: ignore[reportAttributeAccessIssue]
    c = table.c
    at = c.not_before.type

    def moment(seconds: float):
        return literal(now + timedelta(seconds=seconds), at)

    # The window starts again: a cap's from its first attempt, growing delays' after a quiet spell.
    fresh = (c.window_start if policy.limit is not None else c.last_at) <= now - policy.window
    number = case((fresh, 1), else_=c.attempts + 1)
    if policy.limit is not None:
        allowed = or_(fresh, c.attempts < policy.limit)
    else:
        allowed = or_(fresh, c.not_before.is_(None), c.not_before <= now)
    steps = policy.steps()
    wait = case(*[(number >= n, moment(d)) for n, d in reversed(steps)], else_=null()) if steps else null()
    first_wait = policy.delay(1)
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return (
        insert(table)
        .values(key=key, attempts=1, granted=1, window_start=now, last_at=now,
                not_before=now + timedelta(seconds=first_wait) if first_wait else None)
        .on_conflict_do_update(index_elements=[c.key], set_={
            "attempts": number,
            "granted": case((allowed, number), else_=c.granted),
            "window_start": case((fresh, literal(now, at)), else_=c.window_start),
            "last_at": literal(now, at),
            "not_before": case((allowed, wait), else_=c.not_before),
        })
        .returning(c.attempts, c.granted, c.window_start, c.not_before)
    )


class Limiter:
    """Counts attempts per key in SQL, each call in its own short transaction (committed before
    the caller goes on, whatever becomes of the request). `clock` is injectable for tests."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.session_factory, self.clock = session_factory, clock

    async def attempt(self, key: str, policy: Policy) -> Verdict:
        """Counts one attempt and says whether it may go ahead (one statement: no two parallel
        attempts see the same count)."""
        now = self.clock()
        async with self.session_factory() as db:
            stmt = _upsert(db.get_bind().dialect.name, key, policy, now)
            attempts, granted, start, not_before = (await db.execute(stmt)).one()
            if attempts == 1:  # a new window: a good moment to forget rows nobody has used for days
                await db.execute(delete(Throttle).where(col(Throttle.last_at) < now - KEEP))
            await db.commit()
        if granted == attempts:
            return Verdict(key, True, attempts, start, None)
        retry_at = start + policy.window if policy.limit is not None else not_before
        return Verdict(key, False, attempts, start, retry_at)

    async def undo(self, *verdicts: Verdict, clear: frozenset[str] = frozenset()) -> None:
        """Takes back attempts that were let through and turned out right (only failures count);
        the keys in `clear` start again from nothing. One transaction."""
        async with self.session_factory() as db:
            for verdict in verdicts:
                if verdict.key in clear:
                    await db.execute(delete(Throttle).where(col(Throttle.key) == verdict.key))
                    continue
                await db.execute(
                    update(Throttle)
                    .where(col(Throttle.key) == verdict.key, col(Throttle.window_start) == verdict.window_start,
                           col(Throttle.attempts) > 0)
                    .values(attempts=col(Throttle.attempts) - 1)
                    .execution_options(synchronize_session=False))
            await db.commit()

    async def clear(self, key: str) -> None:
        async with self.session_factory() as db:
            await db.execute(delete(Throttle).where(col(Throttle.key) == key))
            await db.commit()
