"""CSRF tokens bound to the session.

Litestar's CSRF middleware checks that a form's token equals a cookie's (double submit), so a
token is valid with any session: whoever can plant that cookie (a sibling host, plain http) can
pair it with a token of their own. A signed-in session's token is instead derived from its id
(HMAC with the secret key): it is valid for that session only and changes when the id does
(signing in). Pages without a session (the login page, the public application and tracking
forms) keep the double-submit cookie. The form field (`_csrf_token`) and header (`x-csrftoken`)
are Litestar's, so templates and htmx are unchanged.

A form of a signed-in session that arrives after the session ended (expired, signed out elsewhere)
carries a session token but no session: that is not a forgery to refuse with 403 but a person to
send to the login page (NotAuthenticated; web/returns.py brings them back to the form's page).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from gongkai.errors import NotAuthenticated
from web.sessions import session_id

SESSION_TOKEN_LENGTH = 64  # hex of an HMAC-SHA256; Litestar's double-submit tokens are twice as long


def session_token(secret: str, sid: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()


class SessionCSRFMiddleware(CSRFMiddleware):
    """Runs inside the session middleware (it needs the session's id)."""

    @property
    def _excluded(self) -> list[str]:
        exclude = self.config.exclude
        return [exclude] if isinstance(exclude, str) else list(exclude or [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and any(scope["path"].startswith(p) for p in self._excluded):
            await self.app(scope, receive, send)  # e.g. /codec, read cross-origin by the Temporal UI
            return
        if scope["type"] != ScopeType.HTTP:
            await super().__call__(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope=scope, receive=receive)
        sid = session_id(scope)
        if sid is None:
            if request.method not in self.config.safe_methods and _is_session_token(await self._sent(request)):
                raise NotAuthenticated("登录已超时，请重新登录")
            await super().__call__(scope, receive, send)
            return
        expected = session_token(self.config.secret, sid)
        if request.method not in self.config.safe_methods:
            sent = await self._sent(request)
            if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
                raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(scope).csrf_token = expected
        await self.app(scope, receive, send)

    async def _sent(self, request: Request[Any, Any, Any]) -> Any:
        """The token a request carries: its header, or a form's field."""
        sent = request.headers.get(self.config.header_name)
        if not sent and request.content_type[0] in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            sent = (await request.form()).get("_csrf_token")
        return sent


def _is_session_token(sent: Any) -> bool:
    return isinstance(sent, str) and len(sent) == SESSION_TOKEN_LENGTH and \
        all(c in "0123456789abcdef" for c in sent)
