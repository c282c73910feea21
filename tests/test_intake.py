"""Tracking codes: concurrent submissions never share one (found by bench/load.py on SQLite)."""

from __future__ import annotations

import asyncio
import uuid

from gongkai.intake import allocate


async def test_concurrent_submissions_get_distinct_codes(db):
    async def one() -> str:
        async with db.session_factory() as session:
            request_id, _query, new = await allocate(session, uuid.uuid4().hex)
            assert new
            return request_id

    codes = await asyncio.gather(*(one() for _ in range(40)))
    assert len(set(codes)) == len(codes)


async def test_the_same_form_gets_the_same_code(db):
    key = uuid.uuid4().hex
    async with db.session_factory() as session:
        first = await allocate(session, key)
    async with db.session_factory() as session:
        again = await allocate(session, key)
    assert again[:2] == first[:2] and first[2] and not again[2]
