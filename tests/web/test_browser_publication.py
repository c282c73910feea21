"""Publication items in a real browser: an officer registers a 双公示 penalty decision (its kind ticks
both websites), submits it, the department's head passes the confidentiality review, the officer
publishes it on each website and sees it done; and a supervisor sees an item whose clock has run out
on the board, with its link and title."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.async_api import async_playwright

from gongkai.clock import CST
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser


async def _page(browser, refused: Refusals, system: str, username: str):
    page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
    page.set_default_timeout(20000)
    await browser_login(page, system, username)
    return page


async def _register(page, system: str, title: str, kind: str, ago: timedelta) -> str:
    await page.goto(f"{system}/publication")
    await page.click("#register-link")
    await page.fill("#title", title)
    await page.select_option("#kind", kind)
    await page.fill("#triggered_at", (datetime.now(CST) - ago).strftime("%Y-%m-%dT%H:%M"))
    await page.click("#publication-register")
    await page.wait_for_selector("#publication-stage")
    return re.search(r"PI-\d{4}-\d{6}", await page.inner_text("h1")).group(0)


async def _publish(page, channel: str, url: str) -> None:
    await page.select_option("#publish-channel", channel)
    await page.fill("#publish-url", url)
    await page.click("#do-publish")
    await page.wait_for_selector(f'[data-channel="{channel}"][data-published="yes"]')


async def test_an_officer_registers_a_penalty_decision_and_publishes_it_on_both_websites(system):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        officer = await _page(browser, refused, system, "jyj_officer")
        await officer.goto(f"{system}/publication/new")
        await officer.select_option("#kind", "penalty")  # 双公示: both websites ticked
        assert await officer.is_checked("#channel-dept_website") and await officer.is_checked("#channel-gov_website")
        assert not await officer.is_checked("#channel-gazette")
        item = await _register(officer, system, "某培训机构无证办学行政处罚决定", "penalty",
                               timedelta(days=1))
        assert await officer.locator("#deadlines .deadline").count() == 1
        assert await officer.locator('[data-published="no"]').count() == 2
        await officer.click("#do-submit")
        await officer.wait_for_selector('#publication-stage[data-stage="secrecy_review"]')

        head = await _page(browser, refused, system, "jyj_head")
        await head.goto(f"{system}/publication/{item}")
        await head.check('[data-decision="review"] input[value="true"]')
        await head.fill('input[name="note"]', "无涉密内容，同意公开")
        await head.click("#do-review")
        await head.wait_for_selector('#publication-stage[data-stage="publishing"]')

        await officer.goto(f"{system}/publication/{item}")
        await _publish(officer, "dept_website", "https://jyj.example.gov.cn/xzcf/2026/001.html")
        assert await officer.locator('#publication-stage[data-stage="publishing"]').count() == 1  # one to go
        await _publish(officer, "gov_website", "https://www.example.gov.cn/sgs/2026/001.html")
        await officer.wait_for_selector('#publication-stage[data-stage="done"]')
        assert await officer.locator("#actions form").count() == 0
        assert "https://www.example.gov.cn/sgs/2026/001.html" in await officer.inner_text("#channels")
        await officer.screenshot(path=str(SHOTS / "publication-done.png"), full_page=True)
        await officer.goto(f"{system}/publication?stage=done")
        assert await officer.locator(f'[data-item="{item}"]').count() == 1
        assert refused == []
        await browser.close()


async def test_a_supervisor_sees_an_overdue_item_on_the_board(system):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        officer = await _page(browser, refused, system, "jyj_officer")
        # 40 days back: past any clock of the kind (7 WD where a profile has 双公示's own rule; the
        # national profile's 20 WD otherwise)
        item = await _register(officer, system, "某校车运营许可决定", "licensing", timedelta(days=40))
        assert await officer.locator('.deadline .clock-status[data-status="overdue"]').count() == 1

        supervisor = await _page(browser, refused, system, "duban")
        await supervisor.goto(f"{system}/board")
        row = supervisor.locator(f'tr:has(a:text("{item}"))')
        assert await row.count() == 1
        assert await row.locator("a").first.get_attribute("href") == f"/publication/{item}"
        assert "某校车运营许可决定" in await row.inner_text() and "主动公开" in await row.inner_text()
        assert (await row.locator("[data-status]").inner_text()).startswith("已超期")
        await supervisor.screenshot(path=str(SHOTS / "board-publication-overdue.png"), full_page=True)
        await supervisor.goto(f"{system}/publication?urgency=overdue")
        assert await supervisor.locator(f'[data-item="{item}"]').count() == 1
        assert refused == []
        await browser.close()
