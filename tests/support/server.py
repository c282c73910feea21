"""The web app served by uvicorn on a free loopback port, in the test's event loop, and the
headless chromium settings the browser tests use."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = Path("/tmp/gongkai-screens")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def served(app) -> AsyncIterator[str]:
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                        timeout_graceful_shutdown=2))
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        await task


@asynccontextmanager
async def served_without_temporal(db, **options) -> AsyncIterator[str]:
    """The app for pages that read SQL only (no Temporal), served for a browser."""
    import pytest

    from gongkai.settings import load_settings
    from web.app import create_app

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is required: `make test` installs it (scripts/install-system-deps.sh)")
    app = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False, **options)
    async with served(app) as url:
        yield url


class Refusals(list):
    """What the browser refused to run or failed at: Content-Security-Policy violations (Chromium
    logs each to the console) and uncaught script errors. A browser test ends with none."""

    def watch(self, page):
        page.on("console", lambda m: self.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: self.append(f"script error: {error}"))
        return page
