"""Rate limits against the real app and a real database (SQLite, and PostgreSQL when one is
configured): logging in, /track and the public form. Their counts live in SQL, so that they hold
across web processes; time moves by the fake clock (tests/web/conftest.py), never by sleeping."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from gongkai.settings import load_settings
from gongkai.throttle import Policy
from models import DisclosureRequest, Throttle
from tests.web.conftest import csrf, post_form
from web.app import create_app
from web.throttle import LOGIN_ADDRESS, LOGIN_FREE, LOGIN_MAX_WAIT, TRACK_ADDRESS, TRACK_CASE

PASSWORD = "gongkai2026"
PDF = b"%PDF-1.4\n% test identity document\n"


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


def elsewhere(client: httpx.AsyncClient, host: str) -> httpx.AsyncClient:
    """The `live` fixture's app reached from another client address."""
    transport = client._transport  # the fixture builds it; its app is what we need
    assert isinstance(transport, httpx.ASGITransport)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=transport.app, client=(host, 40000)),
                             base_url=str(client.base_url))


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
        office.cookies.clear()  # the next colleague's browser at the same office
        token = await csrf(office)
    assert (await _login(office, token, "guess-last", "wrong-password1")).status_code == 401
    refused = await _login(office, token, "jyj_head", PASSWORD)
    assert refused.status_code == 429 and "此网络地址登录失败次数过多" in refused.text
    assert _wait(refused) <= LOGIN_ADDRESS.window.total_seconds()

    other = site.client("192.0.2.8")  # another address is not affected
    assert (await _login(other, await csrf(other), "jyj_head", PASSWORD)).status_code in (302, 303)
    clock.advance(LOGIN_ADDRESS.window.total_seconds())
    assert (await _login(office, token, "jyj_head", PASSWORD)).status_code in (302, 303)


async def test_an_office_behind_one_address_is_slowed_per_account_only(site, db, clock):
    """Issue 15: behind one NAT address, a few typos by one person must not slow the others, and 30
    failures between colleagues must not lock the office out. The delays are the account's; the
    address has only a much higher cap."""
    assert LOGIN_ADDRESS.limit is not None and LOGIN_ADDRESS.limit >= 100
    office = site.client("192.0.2.9")
    token = await csrf(office)
    for _ in range(LOGIN_FREE + 1):
        assert (await _login(office, token, "jyj_officer", "wrong-password1")).status_code == 401
    waiting = await _login(office, token, "jyj_officer", PASSWORD)
    assert waiting.status_code == 429 and "该账号登录失败次数过多" in waiting.text  # this account waits…
    colleague = await _login(office, token, "zrzy_officer", PASSWORD)  # …its colleague at once
    assert colleague.status_code == 303

    others = ["admin", "gkb_head", "gkb_officer", "duban", "leader", "zhuyao", "zfb_head", "jyj_head", "zrzy_head",
              "zrzy_officer", "wjw_officer"]
    typos = [name for name in others for _ in range(2)] + [f"jyj_ofiser{i}" for i in range(5)]
    office.cookies.clear()
    token = await csrf(office)
    answers = await asyncio.gather(*[_login(office, token, name, "wrong-password1") for name in typos])
    assert [r.status_code for r in answers] == [401] * len(typos)  # answered at once, each a plain mistake
    row = await _row(db, "login-addr:192.0.2.9")
    assert row is not None and row.attempts == LOGIN_FREE + 1 + len(typos) > 30
    assert (await _login(office, token, "jyj_head", PASSWORD)).status_code == 303  # the office is not locked out


# -- /track and the public form ---------------------------------------------------------------------


def _form() -> dict:
    return {"applicant_type": "natural_person", "name": "王小明", "id_doc_type": "resident_id",
            "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "wang@example.cn",
            "address": "", "description": "申请公开本区2025年义务教育学校招生计划及其制定依据",
            "provision_form": "electronic", "provision_channel": "email", "form_key": uuid.uuid4().hex}


async def _apply(client) -> httpx.Response:
    token = await csrf(client, "/apply")
    return await client.post("/apply", data={**_form(), "_csrf_token": token},
                             files={"attachments": ("id.pdf", PDF, "application/pdf")})


async def _receipt(client) -> tuple[str, str]:
    receipt = await _apply(client)
    assert receipt.status_code in (200, 201), receipt.text[:300]
    code = re.search(r'id="tracking-code">([^<]+)<', receipt.text)
    query = re.search(r'id="query-code">([^<]+)<', receipt.text)
    assert code and query
    return code.group(1), query.group(1)


async def _track(client, code: str, query: str) -> httpx.Response:
    return await post_form(client, "/track", {"code": code, "query_code": query})


async def test_wrong_query_codes_from_one_address_are_capped(live, clock, caplog):
    """Issue 13, finding 9: one client could try about 9,600 codes a minute. Wrong codes are now
    counted per address (in SQL) before the code is checked; past the cap even the right code waits
    for the window to end. Failures are logged, never with the code."""
    caplog.set_level(logging.INFO)
    code, query = await _receipt(live)
    guesser = elsewhere(live, "203.0.113.20")
    for i in range(TRACK_ADDRESS.limit):  # spread over cases, so that no case's own cap is reached
        wrong = await _track(guesser, f"DR-2026-9{i:05d}", "WRONGCODE9")
        assert wrong.status_code == 400 and "受理编号或查询码不正确" in wrong.text
    refused = await _track(guesser, code, query)
    assert refused.status_code == 429 and "查询失败次数过多" in refused.text and "之后再试" in refused.text
    assert int(refused.headers["Retry-After"]) <= TRACK_ADDRESS.window.total_seconds()
    assert (await _track(live, code, query)).status_code == 200  # the applicant, elsewhere, is not affected
    assert "track_failed" in caplog.text and "track_throttled" in caplog.text
    assert "WRONGCODE9" not in caplog.text and query not in caplog.text

    clock.advance(TRACK_ADDRESS.window.total_seconds())
    assert (await _track(guesser, code, query)).status_code == 200
    await guesser.aclose()


async def test_wrong_query_codes_for_one_case_are_capped_from_every_address(live, db, clock):
    code, query = await _receipt(live)
    for _ in range(TRACK_CASE.limit + 1):  # right codes are not failures: more lookups than the cap
        assert (await _track(live, code, query)).status_code == 200
    guessers = [elsewhere(live, f"198.51.100.{i}") for i in range(1, TRACK_CASE.limit + 2)]
    for guesser in guessers[:-1]:
        assert (await _track(guesser, code.lower(), "WRONGCODE9")).status_code == 400
    refused = await _track(guessers[-1], code, "WRONGCODE9")
    assert refused.status_code == 429 and "该受理编号的查询失败次数过多" in refused.text

    # The applicant's right code waits for the window too, and cannot withdraw meanwhile.
    assert (await _track(live, code, query)).status_code == 429
    withdraw = await post_form(live, "/track/withdraw", {"code": code, "query_code": query}, token_from="/track")
    assert withdraw.status_code == 429 and "之后再试" in withdraw.text
    async with db.session_factory() as s:
        assert (await s.execute(select(DisclosureRequest.stage).where(DisclosureRequest.id == code))).scalar_one() \
            == "awaiting_confirmation"
    clock.advance(TRACK_CASE.window.total_seconds())
    assert (await _track(live, code, query)).status_code == 200
    for guesser in guessers:
        await guesser.aclose()


async def test_the_public_form_limit_holds_across_web_processes(live, db, clock):
    """The limit lives in SQL: a second web process (another app on the same database) refuses the
    submission past the limit the first one counted."""
    limit = load_settings().intake_limit
    for _ in range(limit):
        await _receipt(live)
    other = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other),  # the same address as `live`
                                 base_url="http://testserver") as second:
        limited = await _apply(second)
    assert limited.status_code == 429 and "提交过于频繁" in limited.text
