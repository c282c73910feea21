"""Timing pages' server time in-process: a database loaded with N cases, the ASGI app called
directly (no network), each page fetched `rounds` times per user after one warm-up. Shared by the
page benchmarks (bench/inbox.py, bench/publication.py); each gives its loader and its pages."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy import event, text

from bench.system import machine, pct, table
from gongkai.settings import load_settings
from web.app import create_app
from web.serve import settle_process

# username -> [(name, path)] for a GET, or [(name, path, form)] for a POST of `form` (with the CSRF token)
Pages = dict[str, list[tuple[str, str] | tuple[str, str, dict[str, str]]]]


def _token(html: str) -> str:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert token, "no CSRF token on the page"
    return token.group(1)


class Statements:
    """Each SQL statement's time on the database connection, by page (`--statements`): what a page's
    time is made of, statement by statement, as SQLAlchemy's cursor events see it."""

    def __init__(self, engine) -> None:
        self.page: str | None = None
        self.times: dict[str, dict[str, list[float]]] = {}
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.page is not None:
            spent = (time.perf_counter() - conn.info.pop("bench_t0")) * 1000
            self.times.setdefault(self.page, {}).setdefault(" ".join(statement.split())[:160], []).append(spent)

    def report(self, rounds: int, top: int = 6) -> str:
        lines = []
        for page, by_statement in self.times.items():
            lines.append(f"{page}:")
            ranked = sorted(by_statement.items(), key=lambda kv: -sum(kv[1]))
            for sql, times in ranked[:top]:
                per_page, count = sum(times) / rounds, len(times) / rounds
                lines.append(f"  {per_page:7.1f} ms/page  x{count:.0f}  p95 {pct(times, 95):6.1f}  {sql}")
        return "\n".join(lines)


async def measure(db, paths: Pages, rounds: int, statements: Statements | None = None
                  ) -> dict[str, tuple[list[float], float]]:
    """Each page's times (ms) and the CPU this process spent per fetch (ms): the web's Python, as
    the database server is another process."""
    # As in production (templates not checked for changes on disk), whatever GONGKAI_ENV says.
    app = create_app(replace(load_settings(), env="production"), session_factory=db.session_factory,
                     connect_temporal=False)
    settle_process()  # as `gongkai web` does
    logging.getLogger("httpx").setLevel(logging.WARNING)
    out: dict[str, tuple[list[float], float]] = {}
    for username, pages in paths.items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
            r = await c.post("/login", data={"username": username, "password": "gongkai2026",
                                             "_csrf_token": _token((await c.get("/login")).text)})
            assert r.status_code in (200, 302, 303)
            for name, path, *form in pages:
                if form:
                    data = {**form[0], "_csrf_token": _token((await c.get(path)).text)}
                    fetch = functools.partial(c.post, path, data=data)
                else:
                    fetch = functools.partial(c.get, path)
                await fetch()  # warm
                times = []
                if statements:
                    statements.page = f"{name} ({username})"
                cpu = time.process_time()
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    r = await fetch()
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, (path, r.status_code)
                out[f"{name} ({username})"] = times, (time.process_time() - cpu) * 1000 / rounds
                if statements:
                    statements.page = None
    return out


def _loaded(db, table: str, count: int) -> bool:
    """A kept database already holds the benchmark's `count` cases in `table`."""
    with db.sync_session() as s:
        return s.execute(text(f"SELECT 1 FROM {table} LIMIT 1 OFFSET {count - 1}")).first() is not None


def main(what: str, default: int, load: Callable[[Any, int], None], pages: Pages, kept_table: str) -> None:
    """`what`: the cases loaded (the option --<what> sets how many, `default` unless given) into
    `kept_table` (and others)."""
    parser = argparse.ArgumentParser()
    parser.add_argument(f"--{what}", type=int, default=default)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a fresh database is created on it")
    parser.add_argument("--keep", metavar="DATABASE_URL", help=(
        "a database kept between runs instead of a fresh one: migrated to head, loaded only when it is "
        "empty, never dropped (a million rows take minutes to load)"))
    parser.add_argument("--statements", action="store_true",
                        help="also print each page's slowest SQL statements (time per page, count, p95)")
    parser.add_argument("--only", metavar="WORDS", help="time only the pages whose name contains WORDS")
    args = parser.parse_args()
    if args.only:
        pages = {user: [p for p in listed if args.only in p[0]] for user, listed in pages.items()}
        pages = {user: listed for user, listed in pages.items() if listed}
    import tests.support.database as tdb

    if args.postgres:
        tdb.POSTGRES_URL = args.postgres
    count = getattr(args, what)
    db = tdb.existing_database(args.keep) if args.keep else tdb.create_database(
        "postgres" if args.postgres else "sqlite")
    t0 = time.perf_counter()
    if args.keep and _loaded(db, kept_table, count):
        print(f"backend={db.backend} kept database: not loaded again")
    else:
        load(db, count)
    print(f"backend={db.backend} {what}={count} load_seconds={time.perf_counter() - t0:.1f}")
    statements = Statements(db.engine) if args.statements else None
    results = asyncio.run(measure(db, pages, args.rounds, statements))
    print(table(["page", "median ms", "p95 ms", "web CPU ms"],
                [[name, pct(t, 50), pct(t, 95), cpu] for name, (t, cpu) in results.items()]))
    if statements:
        print(statements.report(args.rounds))
    print(machine())
    asyncio.run(db.close())
