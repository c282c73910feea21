"""Security headers on every response, and pages the Content-Security-Policy does not break: no
inline script, event handler, javascript: link or style attribute anywhere (the browser tests
show htmx and the pages' scripts working under the policy)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from tests.web.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
LETTERS = Path(__file__).resolve().parents[2] / "gongkai" / "letters"


class Inline(HTMLParser):
    """Collects what a strict CSP refuses, and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self.links: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self._script = "src" not in names
        if tag == "style":
            self.refused.append("<style>")
        for name, value in attrs:
            if name.startswith("on") or name == "style" or name == "hx-on" or name.startswith("hx-on:"):
                self.refused.append(f"{tag} {name}=")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.refused.append(f"{tag} {name}=javascript:")
        if tag == "a" and names.get("href"):
            self.links.append(names["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.refused.append(f"inline <script>: {data.strip()[:60]}")


def refused_in(html: str) -> Inline:
    parser = Inline()
    parser.feed(html)
    return parser


def assert_secure_headers(response, path: str) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'", (path, csp)
    assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'", (path, csp)
    assert directives.get("frame-ancestors") == "'none'", (path, csp)
    assert "unsafe" not in csp and "http" not in csp, (path, csp)
    assert response.headers.get("x-content-type-options") == "nosniff", path
    assert response.headers.get("referrer-policy") == "same-origin", path


async def test_every_response_carries_the_security_headers(client):
    public = ["/login", "/apply", "/track", "/nonexistent", "/schema", "/schema/openapi.json",
              "/api/deadline?start=2026-09-25&n=20"]
    for path in public:
        response = await client.get(path, follow_redirects=False)
        assert_secure_headers(response, path)
        assert response.headers.get("cache-control") == "no-store", path
    static = await client.get("/static/app.css")
    assert static.status_code == 200
    assert_secure_headers(static, "/static/app.css")
    assert "no-store" not in static.headers.get("cache-control", "")  # files may be cached

    await login(client, "gkb_officer")
    for path in ("/", "/inbox", "/api/deadline?start=2026-09-25&n=20", "/policy", "/incidents/new"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response, path)
        assert response.headers.get("cache-control") == "no-store", path


def test_no_template_has_inline_script_handler_or_style():
    sources = [*TEMPLATES.rglob("*.html"), *LETTERS.rglob("*.html")]
    assert len(sources) > 20
    found = {}
    for source in sources:
        text = re.sub(r"\{#.*?#\}", "", source.read_text(), flags=re.S)  # template comments
        # A template is not HTML: expressions go, so a tag's attributes parse.
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "x", text, flags=re.S)
        if refused := refused_in(text).refused:
            found[str(source.relative_to(TEMPLATES.parents[1]))] = refused
    assert not found, found


async def test_no_page_a_user_can_reach_has_inline_code(client):
    """Follows every link from the home page, for an administrator, an officer and a supervisor
    (the pages differ by role), and the public pages."""
    statuses: dict[str, int] = {}

    async def crawl(who: str, start: list[str]) -> None:
        seen: set[str] = set()
        queue = list(start)
        while queue:
            path = queue.pop()
            if path.split("?")[0] in seen:  # one visit per page (not per year of the calendar)
                continue
            seen.add(path.split("?")[0])
            response = await client.get(path)
            statuses[f"{who} {path}"] = response.status_code
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            page = refused_in(response.text)
            assert not page.refused, (who, path, page.refused)
            for href in page.links:
                url = urlsplit(urljoin("http://testserver.local" + path, href))
                if url.netloc == "testserver.local" and not url.path.startswith("/static/"):
                    queue.append(url.path + (f"?{url.query}" if url.query else ""))

    await crawl("anonymous", ["/login", "/apply", "/track", "/schema", "/nonexistent"])
    for username in ("admin", "gkb_officer", "duban"):
        await login(client, username)
        await crawl(username, ["/"])
        client.cookies.clear()
    assert len(statuses) > 40 and not any(status >= 500 for status in statuses.values()), statuses


async def test_the_api_docs_page_loads_nothing_from_elsewhere(client):
    page = await client.get("/schema")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<script" not in page.text and "cdn" not in page.text.lower()
    assert re.findall(r'(?:src|href)="(https?:)?//', page.text) == []
    assert 'data-operation="POST /api/incidents"' in page.text and 'href="/schema/openapi.json"' in page.text
    spec = await client.get("/schema/openapi.json")
    assert spec.status_code == 200 and "/api/incidents" in spec.json()["paths"]
    for old in ("/schema/redoc", "/schema/swagger", "/schema/elements", "/schema/rapidoc"):
        response = await client.get(old)
        assert response.status_code == 404 and "<script" not in response.text, old
