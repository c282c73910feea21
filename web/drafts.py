"""Drafts kept server-side (暂存): a long form marked `data-draft="<form>:<case>"` saves what is typed
while it is typed (web/static/app.js), and the page restores it on the next visit, even after the
session expired and the person signed in again. A successful submission of the form (a redirect
after a POST carrying `_draft`) deletes it (`DraftDiscardMiddleware`).

A person's own scratch data, not case data: written here, never sent to a workflow. The fields are
sealed with AES-GCM (a key derived from the installation secret), as a reply draft may quote an
applicant's personal data. The public application form (/apply) is not drafted server-side."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.errors import InvalidInput
from gongkai.keys import KeyRing
from gongkai.logs import get_logger
from gongkai.sealed import seal, unseal
from models import FormDraft, User
from web.render import beijing

log = get_logger(__name__)
KEY = re.compile(r"^[a-z][a-z_-]{0,30}:[A-Za-z0-9_-]{1,64}$")
MAX_BYTES = 64 * 1024  # the fields of one draft, as JSON; the longest form holds three 8000-character texts
MAX_FIELD = 20_000  # characters of one field
KEEP = timedelta(days=30)  # drafts untouched this long are forgotten
PER_USER = 100  # the most drafts one person keeps; the oldest go first
PURPOSE = "form-drafts"


def _ring(state: State) -> KeyRing:
    return KeyRing.of(PURPOSE, state.settings.secret_key, state.settings.previous_secret_keys)


def _key(value: Any) -> str:
    if not isinstance(value, str) or not KEY.match(value):
        raise InvalidInput("草稿标识不正确", field="key")
    return value


def _fields(value: Any) -> dict[str, str | list[str]]:
    """Only text and lists of text (checkboxes), each of a sane length."""
    if not isinstance(value, dict):
        raise InvalidInput("草稿内容不正确", field="fields")
    out: dict[str, str | list[str]] = {}
    for name, v in value.items():
        if not isinstance(name, str) or len(name) > 64 or name.startswith("_"):
            continue  # the CSRF token and the draft's own key are not kept
        if isinstance(v, str):
            out[name] = v[:MAX_FIELD]
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            out[name] = [x[:200] for x in v[:50]]
    if len(json.dumps(out, ensure_ascii=False).encode()) > MAX_BYTES:
        raise InvalidInput("草稿过长，未能暂存", field="fields")
    return out


class DraftController(Controller):
    """JSON for app.js: read, save and discard the signed-in person's draft of one form."""

    path = "/drafts"
    include_in_schema = False

    @get("/")
    async def read(self, db: AsyncSession, state: State, user: User, key: str) -> Response:
        row = await db.get(FormDraft, (user.id, _key(key)))
        fields = unseal(_ring(state), row.data) if row else None
        if row is None or fields is None:
            return Response({"draft": None})
        return Response({"draft": {"fields": fields, "saved_at": beijing(row.saved_at)}})

    @get("/keys")
    async def keys(self, db: AsyncSession, user: User) -> Response:
        """Which forms have a draft: a page with many drafted forms (the board) asks once."""
        return Response({"keys": list((await db.execute(select(FormDraft.key).where(
            FormDraft.user_id == user.id))).scalars())})

    @post("/", status_code=200)
    async def save(self, db: AsyncSession, state: State, user: User, data: dict[str, Any]) -> Response:
        key, fields = _key(data.get("key")), _fields(data.get("fields"))
        now = datetime.now(UTC)
        row = await db.get(FormDraft, (user.id, key))
        if row is None:
            row = FormDraft(user_id=user.id or 0, key=key, data=b"")
        row.data, row.saved_at = seal(_ring(state), fields), now
        db.add(row)
        await db.execute(delete(FormDraft).where(FormDraft.user_id == user.id, FormDraft.saved_at < now - KEEP))
        await db.commit()
        extra = list((await db.execute(select(FormDraft.key).where(FormDraft.user_id == user.id)
                                       .order_by(FormDraft.saved_at.desc()).offset(PER_USER))).scalars())
        if extra:
            await db.execute(delete(FormDraft).where(FormDraft.user_id == user.id, FormDraft.key.in_(extra)))
            await db.commit()
        return Response({"saved_at": beijing(now)})

    @post("/discard", status_code=200)
    async def discard(self, db: AsyncSession, user: User, data: dict[str, Any]) -> Response:
        await db.execute(delete(FormDraft).where(FormDraft.user_id == user.id, FormDraft.key == _key(data.get("key"))))
        await db.commit()
        return Response({"discarded": True})


class DraftDiscardMiddleware:
    """A form carrying `_draft` that was taken (its POST answered with a redirect) leaves no draft:
    deleted before the redirect leaves, so the page it leads to does not offer it again. A refused
    submission (the form again, 4xx) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                await self._discard(scope)
            await send(message)

        await self.app(scope, receive, sending)

    async def _discard(self, scope: Scope) -> None:
        form = ScopeState.from_scope(scope).form  # parsed by the handler already; nothing re-read
        session = scope.get("session")
        key = form.get("_draft") if isinstance(form, dict) else None
        user_id = session.get("user_id") if isinstance(session, dict) else None
        if isinstance(key, list):
            key = key[0] if key else None
        if not (isinstance(key, str) and KEY.match(key) and isinstance(user_id, int)):
            return
        async with scope["litestar_app"].state.session_factory() as db:
            await db.execute(delete(FormDraft).where(FormDraft.user_id == user_id, FormDraft.key == key))
            await db.commit()
