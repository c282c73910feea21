"""A real browser (Debian's chromium, headless) against the app served by uvicorn."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals, served_without_temporal

pytestmark = pytest.mark.browser


@pytest.fixture
async def server(db):
    async with served_without_temporal(db) as url:
        yield url


async def test_admin_logs_in_sees_the_calendar_and_uses_the_calculator(server):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        await page.goto(f"{server}/")
        assert "登录" in await page.title()
        await page.fill("#username", "admin")
        await page.fill("#password", "wrong-password")
        await page.click("#login-submit")
        assert "用户名或密码错误" in await page.inner_text("#login-error")
        await page.fill("#password", "gongkai2026")
        await page.click("#login-submit")
        await page.wait_for_selector("#who")
        assert "系统管理员" in await page.inner_text("#who")

        await page.goto(f"{server}/calendar?year=2026")
        national_day = page.locator('[data-date="2026-10-01"]')
        assert await national_day.get_attribute("data-kind") == "holiday"
        assert await page.locator('#month-grid [data-kind="makeup"]').count() >= 4
        await page.screenshot(path=str(SHOTS / "calendar-2026.png"), full_page=True)

        await page.click("text=期限计算")
        await page.fill("#start", "2026-09-25")
        await page.fill("#n", "20")
        await page.click("#calculate")
        await page.wait_for_selector("#due-date")
        due = await page.inner_text("#due-date")
        steps = await page.locator("#derivation li").all_inner_texts()
        assert any("国庆节" in s for s in steps) and due in steps[-1]
        assert "start=2026-09-25" in page.url  # htmx pushed the URL: the result is linkable
        await page.screenshot(path=str(SHOTS / "calculator.png"), full_page=True)
        assert refused == []  # nothing blocked by the Content-Security-Policy, no script error
        await browser.close()
