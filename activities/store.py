"""Idempotent writes shared by the activities."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_once(session: AsyncSession, row) -> bool:
    """Insert a keyed row unless it exists. Safe against retries and concurrent duplicates."""
    model = type(row)
    if (await session.execute(select(model.id).where(model.key == row.key))).first():
        return False
    try:
        async with session.begin_nested():
            session.add(row)
        return True
    except IntegrityError:
        return False
