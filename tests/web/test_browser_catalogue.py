"""The catalogue in a real headless chromium under the Content-Security-Policy: the administrator opens
公开目录, adds an entry without its channels, is refused beside the field with what was typed kept,
chooses the channels, and sees the entry listed with its time limit under the office's rules."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from gongkai import rule_store
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals, served_without_temporal
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fresh_books():
    """rule_store caches each version's book for the process's life; every test has a new database."""
    rule_store._books.clear()
    yield
    rule_store._books.clear()


@pytest.fixture
async def server(db):
    async with served_without_temporal(db) as url:
        yield url


async def test_the_administrator_fixes_a_refused_entry_and_sees_it_listed(server):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        page.set_default_timeout(20000)
        await browser_login(page, server, "admin")
        await page.click("#nav-catalogue")
        await page.wait_for_selector("#catalogue-table")
        await page.click("#catalogue-new")
        await page.wait_for_selector("#catalogue-form")
        await page.fill("#name", "教育收费公示")
        await page.fill("#content", "学校收费项目、标准和依据")
        await page.fill("#basis", "临沂市实施办法二(五)")
        await page.select_option("#kind", "list_adjustment")
        await page.select_option("#department_id", label="区教育局")
        await page.click("#catalogue-submit")  # no channel chosen: refused beside the field
        error = page.locator('[data-error-for="channels"]')
        assert await error.inner_text() == "请至少选择一个发布渠道"
        assert await page.input_value("#name") == "教育收费公示"
        assert await page.input_value("#basis") == "临沂市实施办法二(五)"
        assert await page.input_value("#kind") == "list_adjustment"
        await page.screenshot(path=str(SHOTS / "catalogue-refused.png"), full_page=True)
        await page.check("#channel-dept_website")
        await page.check("#channel-gov_website")
        await page.click("#catalogue-submit")
        await page.wait_for_selector("#saved")
        row = page.locator("#catalogue-table tr", has_text="教育收费公示")
        assert await row.locator("[data-subject]").inner_text() == "区教育局"
        assert await row.locator("[data-channels]").inner_text() == "政府网站、部门网站"
        assert await row.locator("[data-limit]").inner_text() == "20个工作日"
        await page.screenshot(path=str(SHOTS / "catalogue-list.png"), full_page=True)
        assert refused == []
        await browser.close()
