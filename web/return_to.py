"""Where the login page sends a person back to: the page they were on, never a POST's address.

A form posted with an expired session goes to the login page; after login, the browser GETs the
`next` address, so a form's action (`/policy/X/update_draft`) would answer 405. The page the form
was on (the Referer, same origin only: Referrer-Policy is same-origin) is where its draft is
restored (web/drafts.py); without one, the action's parent path (the case page)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.response import Redirect

SAFE = {"GET", "HEAD"}
# Forms anyone may post without signing in: a refused token there is a stale page, not a lost session.
PUBLIC = ("/login", "/apply", "/track", "/api/", "/codec")


def _local(path: str, query: str) -> str:
    return path + (f"?{query}" if query else "")


def return_to(request: Request) -> str:
    if request.method in SAFE:
        return _local(request.url.path, request.url.query)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/") \
            and not referer.path.startswith(("//", "/login")):
        return _local(referer.path, referer.query)
    parent = request.url.path.rstrip("/").rsplit("/", 1)[0]
    return parent or "/"


def signed_in(request: Request) -> bool:
    session = request.scope.get("session")
    return isinstance(session, dict) and bool(session.get("user_id"))


def lost_session(request: Request) -> bool:
    """A form of a signed-in page posted after its session ended (its token no longer matches)."""
    return request.method not in SAFE and not signed_in(request) and not request.url.path.startswith(PUBLIC)


def to_login(request: Request) -> Redirect:
    return Redirect(f"/login?next={quote(return_to(request))}")
