"""Business keys for new cases: DR-2026-000123, allocated once per submitted form."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import Conflict
from gongkai.settings import get_settings
from models import CaseCounter, IntakeKey


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def query_code_for(key: str) -> str:
    """The applicant's status-page code: derived from the form's key and the secret, so a
    resubmission shows the same code and no plain code is stored."""
    digest = hmac.new(get_settings().secret_key.encode(), key.encode(), hashlib.sha256).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:8])


async def allocate(db: AsyncSession, key: str, process: str = "disclosure", prefix: str = "DR"
                   ) -> tuple[str, str, bool]:
    """(tracking code, query code, new?) for a form submission key; the same key, the same code."""
    existing = await db.get(IntakeKey, key)
    if existing:
        return existing.request_id, query_code_for(key), False
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
        db.add(IntakeKey(key=key, request_id=request_id))
        try:
            await db.commit()
            return request_id, query_code_for(key), True
        except IntegrityError:  # a concurrent submission of the same form, or of the counter
            await db.rollback()
            existing = await db.get(IntakeKey, key)
            if existing:
                return existing.request_id, query_code_for(key), False
    raise Conflict("系统繁忙，请稍后重试")


