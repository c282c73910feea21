"""Tracking codes: concurrent submissions never share one (found by bench/load.py on SQLite); a
resubmitted form, or the same content from a fresh form, finds the request it made."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from gongkai.intake import FINGERPRINT_WINDOW, allocate, code_matches, fingerprint
from gongkai.settings import DEV_SECRET
from models import IntakeKey


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


async def test_the_same_content_from_a_fresh_form_finds_the_same_request(db):
    """Back, then submit again: the page is fetched anew with a new key, the content is the same."""
    content = fingerprint(DEV_SECRET, "王小明", "11010119900101123X", "申请公开本区招生计划")
    async with db.session_factory() as session:
        first = await allocate(session, uuid.uuid4().hex, with_code=True, content=content)
    later_key = uuid.uuid4().hex
    async with db.session_factory() as session:
        again = await allocate(session, later_key, with_code=True, content=content)
    assert again[0] == first[0] and first[2] and not again[2]
    async with db.session_factory() as session:  # both codes open it; the new form's reload finds it directly
        assert await code_matches(session, first[0], first[1]) and await code_matches(session, first[0], again[1])
        reload = await allocate(session, later_key, with_code=True)
    assert reload[0] == first[0] and not reload[2]
    async with db.session_factory() as session:
        assert await code_matches(session, first[0], reload[1])


async def test_other_content_or_an_old_fingerprint_makes_a_new_request(db):
    content = fingerprint(DEV_SECRET, "王小明", "11010119900101123X", "申请公开本区招生计划")
    other = fingerprint(DEV_SECRET, "王小明", "11010119900101123X", "申请公开本区学区划分方案")
    async with db.session_factory() as session:
        first = await allocate(session, uuid.uuid4().hex, content=content)
        second = await allocate(session, uuid.uuid4().hex, content=other)
    assert first[0] != second[0] and second[2]
    async with db.session_factory() as session:  # a day later the same text is a new request (repeat, Art. 36)
        row = await session.get(IntakeKey, content)
        row.created_at = datetime.now(UTC) - FINGERPRINT_WINDOW - timedelta(minutes=1)
        await session.commit()
        third = await allocate(session, uuid.uuid4().hex, content=content)
    assert third[2] and third[0] not in {first[0], second[0]}
    async with db.session_factory() as session:
        assert (await session.get(IntakeKey, content)).request_id == third[0]
        fourth = await allocate(session, uuid.uuid4().hex, content=content)  # and the window starts again
    assert fourth[0] == third[0] and not fourth[2]


def test_the_fingerprint_is_keyed_and_normalised():
    base = fingerprint(DEV_SECRET, "王小明", "11010119900101123x", "申请公开\r\n本区招生计划")
    assert base == fingerprint(DEV_SECRET, " 王小明 ", "11010119900101123X", "申请公开\n本区招生计划")
    full_width = "１１０１０１１９９００１０１１２３Ｘ"
    assert base == fingerprint(DEV_SECRET, "王小明", full_width, "申请公开本区招生计划")
    assert base != fingerprint("another-installation-secret", "王小明", "11010119900101123X", "申请公开本区招生计划")
    assert len(base) == 64 and base.startswith("content:")
    # Not a plain hash of the ID number (or of the whole content) that could be recomputed without the key.
    plain = hashlib.sha256(b"11010119900101123X").hexdigest()
    whole = hashlib.sha256("王小明\x1f11010119900101123x\x1f申请公开本区招生计划".encode()).hexdigest()
    assert plain[:56] not in base and whole[:56] not in base


async def test_the_same_content_sent_at_once_from_fresh_forms_opens_one_request(db):
    """Several copies of the form (new keys) with the same content at the same moment: one request."""
    content = fingerprint(DEV_SECRET, "王小明", "11010119900101123X", "申请公开本区招生计划")

    async def one() -> tuple[str, str | None, bool]:
        async with db.session_factory() as session:
            return await allocate(session, uuid.uuid4().hex, content=content)

    results = await asyncio.gather(*(one() for _ in range(8)))
    assert len({r[0] for r in results}) == 1 and [r[2] for r in results].count(True) == 1
