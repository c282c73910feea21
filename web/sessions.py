"""Server-side sessions kept in SQL, so any number of web processes share them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.stores.base import Store
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker

from models import WebSession


def _now() -> datetime:
    return datetime.now(UTC)


class SQLSessionStore(Store):
    def __init__(self, session_factory: async_sessionmaker) -> None:
        self.session_factory = session_factory

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        if isinstance(value, str):
            value = value.encode()
        if isinstance(expires_in, int):
            expires_in = timedelta(seconds=expires_in)
        async with self.session_factory() as db:
            row = await db.get(WebSession, key)
            expires = _now() + expires_in if expires_in else None
            if (row is not None and row.data == value and expires and row.expires_at
                    and row.expires_at - _now() > expires_in / 2):
                return  # unchanged and far from expiry: every page view need not write
            if row is None:
                db.add(WebSession(key=key, data=value, expires_at=expires))
            else:
                row.data, row.expires_at = value, expires
            await db.commit()

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        async with self.session_factory() as db:
            row = await db.get(WebSession, key)
            if row is None:
                return None
            if row.expires_at and row.expires_at <= _now():
                await db.delete(row)
                await db.commit()
                return None
            if renew_for and row.expires_at:
                row.expires_at = _now() + (timedelta(seconds=renew_for) if isinstance(renew_for, int) else renew_for)
                await db.commit()
            return row.data

    async def delete(self, key: str) -> None:
        async with self.session_factory() as db:
            await db.execute(delete(WebSession).where(WebSession.key == key))
            await db.commit()

    async def delete_all(self) -> None:
        async with self.session_factory() as db:
            await db.execute(delete(WebSession))
            await db.commit()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self.session_factory() as db:
            row = await db.get(WebSession, key)
            if row is None or row.expires_at is None:
                return None
            return int((row.expires_at - _now()).total_seconds())
