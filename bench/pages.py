"""Timing pages' server time in-process: a database loaded with N cases, the ASGI app called
directly (no network), each page fetched `rounds` times per user after one warm-up. Shared by the
page benchmarks (bench/inbox.py, bench/publication.py); each gives its loader and its pages."""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.system import machine, pct, table
from gongkai.settings import load_settings
from web.app import create_app
from web.serve import settle_process

Pages = dict[str, list[tuple[str, str]]]  # username -> [(name, path)]


async def measure(db, paths: Pages, rounds: int) -> dict[str, list[float]]:
    app = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False)
    settle_process()  # as `gongkai web` does
    out: dict[str, list[float]] = {}
    for username, pages in paths.items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
            login_page = await c.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', login_page.text)
            assert token, "no CSRF token on the login page"
            r = await c.post("/login", data={"username": username, "password": "gongkai2026",
                                             "_csrf_token": token.group(1)})
            assert r.status_code in (200, 302, 303)
            for name, path in pages:
                await c.get(path)  # warm
                times = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    r = await c.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, (path, r.status_code)
                out[f"{name} ({username})"] = times
    return out


def main(what: str, default: int, load: Callable[[Any, int], None], pages: Pages) -> None:
    """`what`: the cases loaded (the option --<what> sets how many, `default` unless given)."""
    parser = argparse.ArgumentParser()
    parser.add_argument(f"--{what}", type=int, default=default)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a fresh database is created on it")
    args = parser.parse_args()
    import tests.support.database as tdb

    if args.postgres:
        tdb.POSTGRES_URL = args.postgres
    backend = "postgres" if args.postgres else "sqlite"
    db = tdb.create_database(backend)
    count = getattr(args, what)
    t0 = time.perf_counter()
    load(db, count)
    print(f"backend={backend} {what}={count} load_seconds={time.perf_counter() - t0:.1f}")
    results = asyncio.run(measure(db, pages, args.rounds))
    print(table(["page", "median ms", "p95 ms"], [[name, pct(t, 50), pct(t, 95)] for name, t in results.items()]))
    print(machine())
    asyncio.run(db.close())
