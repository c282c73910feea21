"""The codec server for the Temporal web UI: Temporal keeps every payload encrypted (gongkai.codec),
so its UI shows ciphertext unless it asks here. Only a signed-in administrator gets payloads opened,
from the UI's origin only (CORS), and each request is audited (who, how many payloads; never what
they held). The UI sends the administrator's session cookie when its codec setting "Include
cross-origin credentials" is on (docs/personal-data.md)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Middleware, Receive, Scope, Send
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.common.v1 import Payloads

from gongkai.codec import EncryptionCodec, UnknownKey, ring_for
from gongkai.errors import InvalidInput
from gongkai.logs import get_logger
from models import User
from web.audit import audit
from web.guards import admin_only

log = get_logger(__name__)
MAX_PAYLOADS = 1000


def cors(origin: str) -> Middleware:
    """CORS for /codec only, and only for the Temporal UI's origin (an app-wide CORS grant would let
    that origin read every page with the user's cookie). Preflights are answered here, before
    Litestar's own OPTIONS handling."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not scope["path"].startswith("/codec/"):
                await app(scope, receive, send)
                return
            asked = dict(scope["headers"]).get(b"origin", b"").decode()
            grant = [(b"access-control-allow-origin", origin.encode()),
                     (b"access-control-allow-credentials", b"true"), (b"vary", b"Origin"),
                     (b"access-control-allow-methods", b"POST, OPTIONS"),
                     (b"access-control-allow-headers", b"content-type, x-namespace, authorization")
                     ] if origin and asked == origin else [(b"vary", b"Origin")]
            if scope["method"] == "OPTIONS":
                await send({"type": "http.response.start", "status": 204, "headers": grant})
                await send({"type": "http.response.body", "body": b""})
                return

            async def granting(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *grant]}
                await send(message)

            await app(scope, receive, granting)

        return middleware

    return DefineMiddleware(factory)


def _payloads(data: Any) -> Payloads:
    try:
        parsed = json_format.ParseDict(data, Payloads(), ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise InvalidInput("不是有效的 Temporal 载荷") from exc
    if len(parsed.payloads) > MAX_PAYLOADS:
        raise InvalidInput(f"一次最多 {MAX_PAYLOADS} 个载荷")
    return parsed


def _codec(state: State) -> EncryptionCodec:
    """The app's codec, made once (its keys are derived from the secret)."""
    if state.get("codec") is None:
        state.codec = EncryptionCodec(ring_for(state.settings.secret_key, state.settings.previous_secret_keys))
    return state.codec


class CodecController(Controller):
    path = "/codec"
    include_in_schema = False

    @post("/decode", guards=[admin_only], status_code=200)
    async def decode(self, state: State, request: Request, db: AsyncSession, user: User,
                     data: dict[str, Any]) -> dict[str, Any]:
        payloads = _payloads(data)
        try:
            opened = await _codec(state).decode(list(payloads.payloads))
        except UnknownKey as exc:
            raise InvalidInput(str(exc)) from exc
        audit(db, user, "temporal", "decode", f"在 Temporal 界面查看 {len(opened)} 个加密载荷",
              namespace=request.headers.get("x-namespace", "")[:64], payloads=len(opened))
        await db.commit()
        log.info("codec_decode", payloads=len(opened))
        body = json_format.MessageToDict(Payloads(payloads=opened))
        return {"payloads": body.get("payloads", [])}

    @post("/encode", guards=[admin_only], status_code=200)
    async def encode(self, state: State, data: dict[str, Any]) -> dict[str, Any]:
        sealed = await _codec(state).encode(list(_payloads(data).payloads))
        body = json_format.MessageToDict(Payloads(payloads=sealed))
        return {"payloads": body.get("payloads", [])}
