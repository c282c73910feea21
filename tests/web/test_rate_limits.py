"""Rate limits against the real app and a real database (SQLite, and PostgreSQL when one is
configured): logging in. Their counts live in SQL, so that they hold
across web processes; time moves by the fake clock (tests/web/conftest.py), never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from gongkai.settings import load_settings
from gongkai.throttle import Policy
from models import Throttle
from tests.web.conftest import csrf
from web.app import create_app
from web.throttle import LOGIN_ADDRESS, LOGIN_FREE, LOGIN_MAX_WAIT

PASSWORD = "gongkai2026"


class Site:
    """The app in this event loop (httpx's ASGI transport: requests sent together are handled
    together), reached from any client address."""

    def __init__(self, app) -> None:
        self.app = app
        self.clients: dict[str, httpx.AsyncClient] = {}

    def client(self, host: str = "203.0.113.1") -> httpx.AsyncClient:
        if host not in self.clients:
            transport = httpx.ASGITransport(app=self.app, client=(host, 40000))
            self.clients[host] = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        return self.clients[host]


@pytest.fixture
async def site(db, clock):
    app = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False, clock=clock)
    site = Site(app)
    yield site
    for c in site.clients.values():
        await c.aclose()


async def _login(client: httpx.AsyncClient, token: str, username: str, password: str) -> httpx.Response:
    return await client.post("/login", follow_redirects=False,
                             data={"username": username, "password": password, "_csrf_token": token})


async def _row(db, key: str) -> Throttle | None:
    async with db.session_factory() as s:
        return await s.get(Throttle, key)


def _wait(response: httpx.Response) -> int:
    return int(response.headers["Retry-After"])


# -- logging in -------------------------------------------------------------------------------------


async def test_twenty_wrong_passwords_at_once_are_all_counted_and_hold_the_account(site, db, clock):
    """Issue 13, finding 4: sent together, 2 of 20 answered 500, 8 were recorded and the right
    password then logged in. Each attempt is now counted and checked in one statement, before the
    password is looked at: a burst gets no more password checks than attempts one by one."""
    c = site.client()
    token = await csrf(c)
    answers = await asyncio.gather(*[_login(c, token, "jyj_officer", f"wrong-password{i}") for i in range(20)])
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [401] * (LOGIN_FREE + 1) + [429] * (20 - LOGIN_FREE - 1), statuses
    row = await _row(db, "login-user:jyj_officer")
    assert row is not None and row.attempts == 20

    refused = await _login(c, token, "jyj_officer", PASSWORD)  # the right password, at once
    assert refused.status_code == 429, refused.status_code
    assert "该账号登录失败次数过多" in refused.text and "之后再试" in refused.text
    assert 'id="login-error"' in refused.text
    assert "login-form" in (await c.get("/", follow_redirects=True)).text  # no session was opened
    clock.advance(_wait(refused))
    assert (await _login(c, token, "jyj_officer", PASSWORD)).status_code in (302, 303)
    assert await _row(db, "login-user:jyj_officer") is None  # a login starts the account's count again


async def test_a_guesser_cannot_keep_the_owner_out_for_longer_than_the_longest_wait(site, db, clock):
    """Guesses from ten addresses (each far below its own cap), a burst whenever the account may
    be tried again: one guess is checked per wait, the wait stops growing at LOGIN_MAX_WAIT, and the
    owner logs in once it has passed, from anywhere."""
    guessers = [site.client(f"198.51.100.{i}") for i in range(1, 11)]
    tokens = [await csrf(g) for g in guessers]
    checked, rounds = 0, 6  # the wait reaches its ceiling in the third
    for _ in range(rounds):
        answers = await asyncio.gather(*[_login(g, t, "jyj_officer", "guess-password")
                                         for g, t in zip(guessers, tokens, strict=True)])
        assert {r.status_code for r in answers} <= {401, 429}
        checked += sum(r.status_code == 401 for r in answers)
        waits = [_wait(r) for r in answers if r.status_code == 429]
        assert waits and max(waits) <= LOGIN_MAX_WAIT
        row = await _row(db, "login-user:jyj_officer")
        assert row is not None and row.not_before is not None
        assert row.not_before - clock() <= timedelta(seconds=LOGIN_MAX_WAIT)
        clock.advance(max(waits))
    assert checked <= LOGIN_FREE + rounds
    assert waits == [LOGIN_MAX_WAIT] * len(waits)
    row = await _row(db, "login-user:jyj_officer")
    assert row is not None and row.attempts == 10 * rounds

    owner = site.client("192.0.2.50")
    token = await csrf(owner)
    await _login(guessers[0], tokens[0], "jyj_officer", "guess-password")  # one more, just before the owner
    refused = await _login(owner, token, "jyj_officer", PASSWORD)
    assert refused.status_code == 429 and _wait(refused) <= LOGIN_MAX_WAIT
    clock.advance(LOGIN_MAX_WAIT)
    assert (await _login(owner, token, "jyj_officer", PASSWORD)).status_code in (302, 303)


async def test_guessing_many_accounts_from_one_address_closes_that_address_only(site, clock, monkeypatch):
    """The address's cap is higher than an account's (an office shares one address) and counts
    failures only: colleagues logging in from it do not use it up. (A smaller cap here: each
    attempt checks a password, a second of argon2 on a busy test machine.)"""
    assert LOGIN_ADDRESS.limit is not None and LOGIN_ADDRESS.limit > LOGIN_FREE + 1
    small = 6
    monkeypatch.setattr("web.throttle.LOGIN_ADDRESS", Policy.capped(small, LOGIN_ADDRESS.window))
    office = site.client("192.0.2.7")
    token = await csrf(office)
    for i in range(small - 1):
        assert (await _login(office, token, f"guess{i}", "wrong-password1")).status_code == 401
    for name in ("jyj_head", "jyj_officer", "admin"):  # right passwords are not failures
        assert (await _login(office, token, name, PASSWORD)).status_code in (302, 303)
    assert (await _login(office, token, "guess-last", "wrong-password1")).status_code == 401
    refused = await _login(office, token, "jyj_head", PASSWORD)
    assert refused.status_code == 429 and "此网络地址登录失败次数过多" in refused.text
    assert _wait(refused) <= LOGIN_ADDRESS.window.total_seconds()

    other = site.client("192.0.2.8")  # another address is not affected
    assert (await _login(other, await csrf(other), "jyj_head", PASSWORD)).status_code in (302, 303)
    clock.advance(LOGIN_ADDRESS.window.total_seconds())
    assert (await _login(office, token, "jyj_head", PASSWORD)).status_code in (302, 303)
