"""Sessions, logins and wall screens in a real browser (headless chromium): a session that ends while
the inbox refreshes itself goes to the login page and back; a form sent after it ended comes back to
its page; a wall screen shows the incident board with nobody signed in, keeps refreshing and stops
when revoked; one account's wrong passwords do not delay a colleague at the same address; a first
login changes the password an administrator set; anyone changes their own.

The pages' timers (htmx's "every 30s") run on Playwright's fake clock, moved on by the test: no test
waits for real seconds to pass."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright
from sqlalchemy import delete, func, select

from models import WebSession
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals, served_without_temporal
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
async def server(db):
    """The app without Temporal (these pages read SQL only); a minute's wait after an account's free
    wrong passwords, so that "this account waits" does not depend on how fast the browser types."""
    async with served_without_temporal(db, login_delay_base=60.0) as url:
        yield url


async def _end_sessions(db) -> None:
    """An expired session, as the server sees it: the row is gone, the browser still has its cookie."""
    async with db.session_factory() as s:
        await s.execute(delete(WebSession))
        await s.commit()


async def _sign_in(page, username: str, password: str = "gongkai2026") -> None:
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-submit")


async def test_a_session_ending_during_the_inbox_refresh_goes_to_login_and_back(server, db):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        await page.clock.install()
        await browser_login(page, server, "gkb_officer")
        await page.goto(f"{server}/inbox?view=board")
        await page.wait_for_selector("#inbox-board")
        await _end_sessions(db)

        # htmx refreshes the list every 30 s, and the header's 待阅 count too: whichever asks first
        async with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as sent:
            await page.clock.fast_forward("00:31")
        refresh = await sent.value
        assert refresh.status == 401 and refresh.headers["hx-redirect"].startswith("/login?next=")
        # Both polls may answer HX-Redirect and the second navigation replaces the first: wait for
        # the login page itself rather than for one navigation.
        await page.wait_for_selector("#login-form")
        assert re.search(r"/login\?next=", page.url), page.url
        assert await page.locator("#who").count() == 0  # no header of the signed-out user
        assert await page.locator("#inbox-results").count() == 0  # the whole window, not the list
        assert "登录后回到刚才的页面" in await page.inner_text("#login-return")
        await page.screenshot(path=str(SHOTS / "session-expired-login.png"), full_page=True)

        await _sign_in(page, "gkb_officer")
        await page.wait_for_url(re.compile(r"/inbox\?view=board$"))
        await page.wait_for_selector("#inbox-board")
        assert await page.inner_text("#who") == "李明（经办人）"  # the role once
        assert refused == []
        await browser.close()


async def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(server, db):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        await browser_login(page, server, "admin")
        await page.goto(f"{server}/admin/departments")
        await page.fill("#new-department #code", "MZJ")
        await page.fill("#new-department #name", "区民政局")
        await _end_sessions(db)
        await page.click('#new-department button[type="submit"]')
        await page.wait_for_url(re.compile(r"/login\?next=/admin/departments$"))
        await _sign_in(page, "admin")
        await page.wait_for_url(re.compile(r"/admin/departments$"))
        assert "出错了" not in await page.title()
        assert await page.locator('[data-department="MZJ"]').count() == 0  # the POST was not replayed
        assert refused == []
        await browser.close()


async def test_a_wall_screen_keeps_refreshing_without_a_session_and_stops_when_revoked(system, db):
    """On the `system` fixture (Temporal): the incidents on the board are real cases."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        officer = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        officer.set_default_timeout(20000)
        await browser_login(officer, system, "wjw_officer")
        await _register(officer, system, "某医院门诊楼起火")

        admin = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        await browser_login(admin, system, "admin")
        await admin.click("text=大屏")
        await admin.fill("#display-name", "应急指挥中心大屏")
        await admin.click("#display-create")
        url = await admin.input_value("#display-url")
        assert re.fullmatch(rf"{re.escape(system)}/display/[A-Za-z0-9_-]{{40,}}", url)

        screen_context = await browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
        screen = refused.watch(await screen_context.new_page())
        await screen.clock.install()
        await screen.goto(url)
        assert "某医院门诊楼起火" in await screen.inner_text("#display-board")
        assert await screen.locator("#who").count() == 0 and await screen.locator("form").count() == 0
        await screen.screenshot(path=str(SHOTS / "wall-display.png"), full_page=True)

        await _register(officer, system, "某路段山体滑坡")  # a new incident, after the screen opened

        async def refreshed() -> int:
            async with screen.expect_response(lambda r: "/display/" in r.url and r.request.headers.get("hx-request")) \
                    as sent:
                await screen.clock.fast_forward("00:16")  # every 15 s
            return (await sent.value).status

        assert await refreshed() == 200
        await screen.locator("#display-board", has_text="某路段山体滑坡").wait_for()
        await screen.clock.fast_forward("09:00:00")  # past a person's 8 hours
        assert await refreshed() == 200 and await refreshed() == 200
        assert "某医院门诊楼起火" in await screen.inner_text("#display-board")
        assert [c["name"] for c in await screen_context.cookies() if "session" in c["name"]] == []
        async with db.session_factory() as s:  # the screen has no session: only the two people's
            assert (await s.execute(select(func.count()).select_from(WebSession))).scalar_one() == 2

        await admin.goto(f"{system}/admin/displays")
        await admin.click("[data-revoke]")
        await admin.wait_for_selector('[data-state="revoked"]')
        assert await refreshed() == 410
        await screen.wait_for_selector("#display-stopped")
        assert "被系统管理员撤销" in await screen.inner_text("#display-message")
        assert await screen.locator("#display-board").count() == 0  # nothing left to refresh
        await screen.screenshot(path=str(SHOTS / "wall-display-revoked.png"), full_page=True)
        assert refused == []
        await browser.close()


async def _register(page, base: str, title: str) -> None:
    from datetime import datetime, timedelta

    from gongkai.clock import CST

    await page.goto(f"{base}/incidents/new")
    await page.fill("#title", title)
    await page.fill("#occurred_at", (datetime.now(CST) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    await page.fill("#location", "某街道")
    await page.select_option("#grade", "major")
    await page.select_option("#source", "online")
    await page.click("#incident-register")
    await page.wait_for_selector("#incident-stage")


async def test_one_accounts_wrong_passwords_do_not_delay_a_colleague_at_the_same_address(server):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        typist = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        await typist.goto(f"{server}/login")
        for _ in range(4):  # three free mistakes, then the account waits
            await _sign_in(typist, "jyj_officer", "wrong-password1")
            await typist.wait_for_selector("#login-error")
        await _sign_in(typist, "jyj_officer")
        assert "该账号登录失败次数过多" in await typist.inner_text("#login-error")

        colleague = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())  # same address
        await colleague.goto(f"{server}/login")
        await _sign_in(colleague, "zrzy_officer", "wrong-password1")  # a typo of its own: a plain mistake
        assert await colleague.inner_text("#login-error") == "用户名或密码错误"
        await _sign_in(colleague, "zrzy_officer")
        await colleague.wait_for_selector("#who")
        assert await colleague.inner_text("#who") == "吴静（经办人）"
        assert refused == []
        await browser.close()


async def test_a_first_login_changes_the_password_the_administrator_set(server, db):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        await browser_login(page, server, "admin")
        assert await page.inner_text("#who") == "系统管理员"  # the name is the role: said once
        await page.goto(f"{server}/admin/accounts")
        await page.fill("#username", "wjw_new")
        await page.fill("#display_name", "何新")
        await page.select_option("#role", "officer")
        await page.select_option("#department_id", label="区卫生健康委")
        await page.fill("#password", "Chushi2026")
        await page.click("#new-account button[type=submit]")
        await page.wait_for_selector('[data-account="wjw_new"] [data-must-change]')
        await page.click("text=退出")

        await page.goto(f"{server}/login")
        await _sign_in(page, "wjw_new", "Chushi2026")
        await page.wait_for_url(re.compile(r"/account/password\?next=/$"))
        assert "请先修改密码" in await page.inner_text("#password-forced")
        await page.goto(f"{server}/inbox")  # nothing else opens first
        await page.wait_for_url(re.compile(r"/account/password\?next=/inbox$"))
        await page.screenshot(path=str(SHOTS / "password-forced.png"), full_page=True)
        await page.fill("#current_password", "Chushi2026")
        await page.fill("#new_password", "Xinmima2026")
        await page.fill("#new_password2", "Xinmima2027")
        await page.click("#password-submit")
        assert "不一致" in await page.inner_text('[data-error-for="new_password2"]')
        await page.fill("#current_password", "Chushi2026")
        await page.fill("#new_password", "Xinmima2026")
        await page.fill("#new_password2", "Xinmima2026")
        await page.click("#password-submit")
        await page.wait_for_url(re.compile(r"/inbox$"))
        assert await page.inner_text("#who") == "何新（经办人）"
        assert refused == []
        await browser.close()


async def test_anyone_changes_their_own_password_from_the_header(server, db):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        other = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        await browser_login(page, server, "jyj_officer")
        await browser_login(other, server, "jyj_officer")  # the same person on another computer
        await page.click("#nav-password")
        await page.fill("#current_password", "wrong-password1")
        await page.fill("#new_password", "Zhanghua2027")
        await page.fill("#new_password2", "Zhanghua2027")
        await page.click("#password-submit")
        assert "当前密码不正确" in await page.inner_text('[data-error-for="current_password"]')
        await page.fill("#current_password", "gongkai2026")
        await page.fill("#new_password", "Zhanghua2027")
        await page.fill("#new_password2", "Zhanghua2027")
        await page.click("#password-submit")
        assert "密码已修改" in await page.inner_text("#password-done")
        await page.screenshot(path=str(SHOTS / "password-changed.png"), full_page=True)

        await other.goto(f"{server}/inbox")  # the other computer's session ended with the old password
        await other.wait_for_url(re.compile(r"/login\?next=/inbox$"))
        await _sign_in(other, "jyj_officer")
        assert await other.inner_text("#login-error") == "用户名或密码错误"
        await _sign_in(other, "jyj_officer", "Zhanghua2027")
        await other.wait_for_url(re.compile(r"/inbox$"))
        assert refused == []
        await browser.close()
