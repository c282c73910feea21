"""/calendar/<year> in a real browser: a year without its State Council notice (2027) shows the
statutory holidays of the 放假办法, marked provisional, and the calculator skips 元旦 2027."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from gongkai.statutory import BASIS_ZH
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals, served_without_temporal
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
async def server(db):
    async with served_without_temporal(db) as url:
        yield url


async def test_a_year_without_a_notice_renders_with_its_statutory_holidays(server):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        await browser_login(page, server, "jyj_officer")
        response = await page.goto(f"{server}/calendar/2027")
        assert response is not None and response.status == 200
        assert await page.title() == "2027年工作日历 · 公开"
        banner = await page.inner_text("#provisional-banner")
        assert BASIS_ZH in banner and "暂定" in banner
        new_year = page.locator('[data-date="2027-01-01"]')
        assert (await new_year.get_attribute("data-kind"), await new_year.get_attribute("title")) == ("holiday", "元旦")
        assert await page.locator('#month-grid [data-kind="holiday"]').count() == 13
        assert await page.locator('#month-grid [data-kind="makeup"]').count() == 0
        await page.screenshot(path=str(SHOTS / "calendar-2027.png"), full_page=True)
        await page.click("#previous-year")
        await page.wait_for_url(f"{server}/calendar/2026?region=cn")
        assert await page.locator("#provisional-banner").count() == 0

        await page.goto(f"{server}/deadline?start=2026-12-20&n=20")
        assert await page.inner_text("#due-date") == "2027-01-18"
        assert await page.locator("#provisional-warning").count() == 1
        steps = await page.locator("#derivation li").all_inner_texts()
        assert any(BASIS_ZH in s for s in steps) and any("2027-01-01" in s and "元旦" in s for s in steps)
        assert refused == []
        await browser.close()
