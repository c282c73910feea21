"""The SQL rate limiter (gongkai/throttle.py) on SQLite and PostgreSQL: each attempt counted once
and checked in the same statement, however many arrive together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from gongkai.throttle import KEEP, Limiter, Policy
from models import Throttle

GROWING = Policy.growing(free=3, base=1.0, cap=300.0, window=timedelta(hours=1))
CAPPED = Policy.capped(7, timedelta(minutes=15))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_waits_grow_from_the_base_and_stop_at_the_cap():
    assert [GROWING.delay(n) for n in range(1, 8)] == [0, 0, 0, 1, 2, 4, 8]
    assert GROWING.delay(13) == GROWING.delay(10_000) == 300
    assert GROWING.steps()[0] == (4, 1) and GROWING.steps()[-1] == (13, 300)
    assert CAPPED.delay(100) == 0 and CAPPED.steps() == []


async def test_attempts_sent_together_are_each_counted_once(db):
    clock = Clock()
    limiter = Limiter(db.session_factory, clock)
    verdicts = await asyncio.gather(*[limiter.attempt("cap", CAPPED) for _ in range(30)])
    assert sorted(v.attempts for v in verdicts) == list(range(1, 31))
    assert sorted(v.attempts for v in verdicts if v.allowed) == list(range(1, 8))
    assert {v.retry_at for v in verdicts if not v.allowed} == {clock.now + CAPPED.window}

    verdicts = await asyncio.gather(*[limiter.attempt("grow", GROWING) for _ in range(30)])
    assert sorted(v.attempts for v in verdicts if v.allowed) == [1, 2, 3, 4]  # then a wait of one second
    assert {v.retry_at for v in verdicts if not v.allowed} == {clock.now + timedelta(seconds=1)}
    clock.now += timedelta(seconds=1)
    after = await limiter.attempt("grow", GROWING)
    assert after.allowed and after.attempts == 31  # refusals were counted, and the wait stays capped
    refused = await limiter.attempt("grow", GROWING)
    assert not refused.allowed and refused.retry_at == clock.now + timedelta(seconds=300)


async def test_a_success_is_taken_back_and_windows_start_again(db):
    clock = Clock()
    limiter = Limiter(db.session_factory, clock)
    small = Policy.capped(2, timedelta(minutes=15))
    first = await limiter.attempt("cap", small)
    await limiter.undo(first)  # it turned out right: not a failure
    assert all([(await limiter.attempt("cap", small)).allowed for _ in range(2)])
    assert not (await limiter.attempt("cap", small)).allowed
    clock.now += small.window  # a cap's window runs from its first attempt
    assert (await limiter.attempt("cap", small)).attempts == 1

    for _ in range(5):
        await limiter.attempt("grow", GROWING)
    clock.now += GROWING.window  # growing waits start again after a quiet spell
    again = await limiter.attempt("grow", GROWING)
    assert again.allowed and again.attempts == 1
    await limiter.clear("grow")
    async with db.session_factory() as s:
        assert await s.get(Throttle, "grow") is None


async def test_rows_nobody_used_for_days_are_forgotten(db):
    clock = Clock()
    limiter = Limiter(db.session_factory, clock)
    await limiter.attempt("old", CAPPED)
    clock.now += KEEP + timedelta(minutes=1)
    await limiter.attempt("new", CAPPED)
    async with db.session_factory() as s:
        assert await s.get(Throttle, "old") is None and await s.get(Throttle, "new") is not None
