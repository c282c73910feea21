"""Where a person who has to sign in (again), or change a password first, comes back to.

The target is always a local page of this site: a path that a browser cannot read as another host
(no scheme or host, no "//" or "\\" at the start, no control characters), never the login page itself.
A page reached by GET comes back as it was; a POST (a form sent after the session ended) is never
replayed: the person comes back to the page the form was on (the Referer). An htmx request (a list
refreshing itself) is answered with HX-Redirect, so the whole window goes to the login page instead of
the login page being swapped into the list; it comes back to the page it was on (HX-Current-URL).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.response import Redirect

NO_RETURN = ("/login", "/logout", "/static/", "/api/")
CHANGE_PASSWORD = "/account/password"  # where an account whose password an administrator set goes first


def local_path(target: str | None) -> str | None:
    """`target` if it is a path of this site a person may be sent back to, else None."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(parts.path.startswith(p) for p in NO_RETURN) or parts.path == "/login":
        return None
    return target


def safe_next(target: str | None) -> str:
    return local_path(target) or "/"


def _same_origin_path(request: Request, url: str | None) -> str | None:
    """The path and query of `url` if it is a page of this site (same host as the request)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc.lower() != (request.headers.get("host") or "").lower():
        return None
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def return_path(request: Request) -> str:
    """The page to come back to after signing in: the page an htmx request came from, a GET's own
    page, or the page a form was sent from."""
    if is_htmx(request):
        return _same_origin_path(request, request.headers.get("hx-current-url")) or "/"
    if request.method in {"GET", "HEAD"}:
        query = request.url.query
        return local_path(request.url.path + (f"?{query}" if query else "")) or "/"
    # Without a Referer, the form's action's parent: /policy/X/update_draft comes back to /policy/X.
    parent = request.url.path.rstrip("/").rsplit("/", 1)[0]
    return _same_origin_path(request, request.headers.get("referer")) or local_path(parent) or "/"


def go_to(request: Request, page: str, target: str, htmx_status: int = 401) -> Response:
    """Send the browser to `page`?next=`target`: htmx by HX-Redirect (its status is not swapped in),
    a page or a form by 303, so a POST becomes a GET of that page and is not sent again."""
    location = f"{page}?next={quote(target, safe='/')}" if target != "/" else page
    if is_htmx(request):
        return Response(content=b"", status_code=htmx_status, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)
