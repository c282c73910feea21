"""Business keys for new cases (DR-2026-000123), allocated once per submitted form, and the
applicant's query code for a request.

A query code is random (12 characters from an alphabet without look-alikes: about 59 bits), shown
once, and stored only as a slow salted hash (argon2) in `intake_key`; it is never derived from
anything and never travels to Temporal. A resubmission of the same form (a double click, or back and
submit again) shows a new code; the earlier ones keep working (up to MAX_CODES), since the applicant
may have written down either."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import Conflict
from gongkai.passwords import hash_password, verify_password
from models import CaseCounter, IntakeKey

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1
CODE_LENGTH = 12
LEGACY = "sha256:"  # codes handed out before random codes: an unsalted hash, kept until they close
MAX_CODES = 3


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal(code: str) -> str:
    return "".join(code.split()).upper()[:64]


async def code_matches(db: AsyncSession, request_id: str, code: str) -> bool:
    """Whether `code` is the request's query code (argon2 takes a tenth of a second by design: off
    the event loop)."""
    stored = (await db.execute(select(col(IntakeKey.code_hash)).where(col(IntakeKey.request_id) == request_id,
                                                                 col(IntakeKey.code_hash).is_not(None)))
              ).scalars().first()
    return await asyncio.to_thread(_any_matches, (stored or "").split(), normal(code))


def _any_matches(hashes: Sequence[str], code: str) -> bool:
    if not hashes:
        return verify_password(None, code)  # as long as a real check: no telling unknown requests apart
    return any(_matches(h, code) for h in hashes)


def _matches(stored: str, code: str) -> bool:
    if stored.startswith(LEGACY):
        return hmac.compare_digest(stored.removeprefix(LEGACY), hashlib.sha256(code.encode()).hexdigest())
    return verify_password(stored, code)


async def allocate(db: AsyncSession, key: str, process: str = "disclosure", prefix: str = "DR", *,
                   with_code: bool = False) -> tuple[str, str | None, bool]:
    """(tracking code, query code if asked for, new?) for a form submission key; the same key, the
    same case."""
    code = new_query_code() if with_code else None
    code_hash = await asyncio.to_thread(hash_password, code) if code else None
    existing = await db.get(IntakeKey, key)
    if existing:
        return existing.request_id, await _replace_code(db, existing, code, code_hash), False
    year = datetime.now(CST).year
    # One statement reads and bumps the counter. A read then a write (SELECT … FOR UPDATE, which
    # SQLite ignores) let two concurrent submissions take the same number on SQLite: the second
    # applicant got the first one's code and their request was never started (bench/load.py).
    bump = (update(CaseCounter).where(col(CaseCounter.process) == process, col(CaseCounter.year) == year)
            .values(value=col(CaseCounter.value) + 1).returning(col(CaseCounter.value))
            .execution_options(synchronize_session=False))
    for _attempt in range(5):
        value = (await db.execute(bump)).scalar_one_or_none()
        if value is None:  # the year's first: a concurrent first insert fails below and retries
            value = 1
            db.add(CaseCounter(process=process, year=year, value=value))
        request_id = f"{prefix}-{year}-{value:06d}"
        db.add(IntakeKey(key=key, request_id=request_id, code_hash=code_hash))
        try:
            await db.commit()
            return request_id, code, True
        except IntegrityError:  # a concurrent submission of the same form, or of the counter
            await db.rollback()
            existing = await db.get(IntakeKey, key)
            if existing:
                return existing.request_id, await _replace_code(db, existing, code, code_hash), False
    raise Conflict("系统繁忙，请稍后重试")


async def _replace_code(db: AsyncSession, row: IntakeKey, code: str | None, code_hash: str | None) -> str | None:
    if code is None or code_hash is None:
        return None
    kept = (row.code_hash or "").split()[-(MAX_CODES - 1):]
    row.code_hash = " ".join([*kept, code_hash])
    await db.commit()
    return code


