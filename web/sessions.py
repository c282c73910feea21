"""Server-side sessions kept in SQL, so any number of web processes share them.

Litestar's server-side backend adopts whatever id a cookie names and writes a row for every
response, anonymous or not; this backend does neither (session fixation, a row per page view):
- an id is used only if this server issued it and still holds it; any other is ignored and its
  cookie cleared, and a fresh id is issued once something is stored;
- signing in (`sign_in`) always issues a new id and deletes the old row;
- an empty session has no row and no cookie (signing out deletes both);
- a session records the role and department it was signed in with, and when the password it was
  signed in with was set; once the account's differ (or it is deactivated), the session is dropped
  and the user signs in again (`matches`): a changed or reset password ends the other sessions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Empty, Message, Scope, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from models import User, WebSession

_STATE = "gongkai.session"  # scope key of the request's _Loaded


@dataclass
class _Loaded:
    sent: str | None  # the id the client's cookie named, if any
    known: str | None  # the same id, if this server issued it and still holds it
    renew: bool = False  # issue a new id when storing (signing in)
    data: bytes | None = None  # what its row held, and until when
    expires_at: datetime | None = None


def password_stamp(changed_at: datetime) -> str:
    return changed_at.astimezone(UTC).isoformat()


def _principal(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "role": str(user.role), "department_id": user.department_id,
            "password": password_stamp(user.password_changed_at)}


def sign_in(connection: ASGIConnection, user: User) -> None:
    """The session now belongs to `user`, under a new id (the one the client had is discarded)."""
    connection.set_session(_principal(user))
    state = connection.scope.get(_STATE)
    if isinstance(state, _Loaded):
        state.renew = True


def drop(connection: ASGIConnection) -> None:
    """Sign the session out: its row and cookie go when the response leaves. An empty dict rather
    than Litestar's clear_session (Empty), so code later in the same request reads "no user"."""
    connection.set_session({})


def matches(connection: ASGIConnection, user_id: int, role: str, department_id: int,
            password_changed_at: datetime) -> bool:
    """Whether the session was signed in with this role, department and password (an account edited
    since, or a session from before they were recorded, does not match)."""
    session = connection.session
    return (session.get("user_id"), session.get("role"), session.get("department_id"), session.get("password")) == (
        user_id, str(role), department_id, password_stamp(password_changed_at))


def session_id(scope: Scope) -> str | None:
    """The id of the session this request belongs to, if any (for binding CSRF tokens to it)."""
    state = scope.get(_STATE)  # pyright: ignore[reportAttributeAccessIssue]
    return state.known if isinstance(state, _Loaded) else None


def cookie_names(secure: bool) -> tuple[str, str]:
    """The session and CSRF cookies' names: over https with the `__Host-` prefix, which browsers
    accept only on a Secure cookie for this exact host and path /, so no other host (a sibling
    subdomain, a man in the middle on http) can set them."""
    return ("__Host-session", "__Host-gk_csrf") if secure else ("session", "gk_csrf")


class SessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        sent = connection.cookies.get(self.config.key) or None
        store = self.config.get_store_from_app(connection.scope["app"])
        assert isinstance(store, SQLSessionStore)
        data, expires_at = await store.read(sent) if sent else (None, None)
        connection.scope[_STATE] = _Loaded(sent=sent, known=sent if data is not None else None,  # pyright: ignore[reportGeneralTypeIssues]
                                           data=data, expires_at=expires_at)
        return self.deserialize_data(data) if data is not None else {}

    def get_session_id(self, connection: ASGIConnection) -> str | None:  # pyright: ignore[reportIncompatibleMethodOverride]
        return session_id(connection.scope)

    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection) -> None:
        state = connection.scope.get(_STATE)
        if not isinstance(state, _Loaded):  # the session was never loaded for this request
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        if scope_session is Empty or not scope_session:
            if state.known:
                await self.delete(state.known, store=store)
            if state.sent:
                gone = Cookie(**{**params, "key": self.config.key, "value": "", "max_age": 0, "expires": 0})
                headers.add("Set-Cookie", gone.to_header(header=""))
            return
        sid = state.known
        if sid is None or state.renew:
            if sid is not None:
                await self.delete(sid, store=store)
            sid = state.known = self.generate_session_id()
            state.renew = False
            state.data = state.expires_at = None
        data = self.serialize_data(scope_session, connection.scope)
        # Most pages change nothing: their session's row, read on the way in, is not read again.
        if not unchanged(state.data, state.expires_at, data, timedelta(seconds=self.config.max_age)):
            await self.set(sid, data, store=store)
        headers.add("Set-Cookie", Cookie(value=sid, key=self.config.key, **params).to_header(header=""))


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend  # pyright: ignore[reportIncompatibleVariableOverride]


def _now() -> datetime:
    return datetime.now(UTC)


def unchanged(stored: bytes | None, expires_at: datetime | None, value: bytes, expires_in: timedelta) -> bool:
    """A session's row needs no write: it holds `value` and is far from expiry (every page view
    need not write; one past half its life slides the expiry on)."""
    return stored == value and expires_at is not None and expires_at - _now() > expires_in / 2


def row_key(session_id: str) -> str:
    """A session's row is found by a hash of its id: the table (a backup, a read-only leak) holds
    no id a browser could present."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class SQLSessionStore(Store):
    def __init__(self, session_factory: async_sessionmaker) -> None:
        self.session_factory = session_factory

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        if isinstance(value, str):
            value = value.encode()
        if isinstance(expires_in, int):
            expires_in = timedelta(seconds=expires_in)
        async with self.session_factory() as db:
            row = await db.get(WebSession, row_key(key))
            expires = _now() + expires_in if expires_in else None
            if row is not None and expires_in and unchanged(row.data, row.expires_at, value, expires_in):
                return
            if row is None:
                db.add(WebSession(key=row_key(key), data=value, expires_at=expires))
            else:
                row.data, row.expires_at = value, expires
            await db.commit()

    async def read(self, key: str) -> tuple[bytes, datetime | None] | tuple[None, None]:
        """The session's data and when it expires; (None, None) when there is none or it has expired."""
        async with self.session_factory() as db:
            row = await db.get(WebSession, row_key(key))
            if row is None:
                return None, None
            if row.expires_at and row.expires_at <= _now():
                await db.delete(row)
                await db.commit()
                return None, None
            return row.data, row.expires_at

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        data, expires_at = await self.read(key)
        if data is not None and renew_for and expires_at:
            renewed = _now() + (timedelta(seconds=renew_for) if isinstance(renew_for, int) else renew_for)
            async with self.session_factory() as db:
                await db.execute(update(WebSession).where(col(WebSession.key) == row_key(key)).values(
                    expires_at=renewed))
                await db.commit()
        return data

    async def delete(self, key: str) -> None:
        async with self.session_factory() as db:
            await db.execute(delete(WebSession).where(col(WebSession.key) == row_key(key)))
            await db.commit()

    async def delete_all(self) -> None:
        async with self.session_factory() as db:
            await db.execute(delete(WebSession))
            await db.commit()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self.session_factory() as db:
            row = await db.get(WebSession, row_key(key))
            if row is None or row.expires_at is None:
                return None
            return int((row.expires_at - _now()).total_seconds())
