"""Security headers on every response (pages, fragments, errors, files), added where the
response leaves the app so no handler can forget them."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# Scripts and styles only from our own files: no inline code, no CDN. The templates have no inline
# <script>, on…= handler or style="" (tests/web/test_headers.py keeps it so), and htmx is told not
# to inject its indicator <style> nor to evaluate code (the htmx-config meta in base.html).
CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
ALWAYS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate it
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
CACHEABLE = "/static/"  # the only responses without personal data that browsers may keep


async def security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in ALWAYS.items():
        headers[name] = value
    if not scope.get("path", "").startswith(CACHEABLE):
        # Pages, fragments, the API, downloads: ID and phone numbers, case texts. Nothing of them
        # stays in the browser's or a proxy's cache (nor in the back-forward cache).
        headers["cache-control"] = "no-store"
