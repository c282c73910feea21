"""The register and the duplicate warning in a real browser, under the Content-Security-Policy: an
officer registers the same applicant's request twice, is warned with a link, registers it anyway,
then finds both in 台账 by the whole ID number (the results swapped in by htmx), and a bad date is
refused in the results."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser
ID_NUMBER = "11010119850505123X"


async def _fill_request(page, system: str, description: str) -> None:
    await page.goto(f"{system}/disclosure/new")
    await page.select_option("#intake_channel", "in_person")
    await page.fill("#received_date", "2026-01-05")
    await page.fill("#name", "赵六")
    await page.fill("#id_doc_number", ID_NUMBER)
    await page.fill("#phone", "13900000000")
    await page.fill("#email", "zhao@example.cn")
    await page.fill("#description", description)
    await page.select_option("#provision_channel", "email")
    await page.click("#register-submit")


async def test_duplicate_warning_and_the_register_in_a_browser(system):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        page.set_default_timeout(20000)
        await browser_login(page, system, "jyj_officer")
        await _fill_request(page, system, "申请公开本区2026年老旧小区改造项目清单")
        first = (await page.inner_text("#case-id")).strip()

        await _fill_request(page, system, "申请公开本区2026年老旧小区改造项目清单。")
        await page.wait_for_selector("#duplicate-warning")
        assert await page.get_attribute(f'#duplicate-list a[href="/disclosure/{first}"]', "href")
        assert await page.input_value("#name") == "赵六"  # the form comes back as typed
        await page.screenshot(path=str(SHOTS / "duplicate-warning.png"), full_page=True)
        await page.click("#register-anyway")
        await page.wait_for_selector("#earlier-requests")
        second = (await page.inner_text("#case-id")).strip()
        assert second != first and first in await page.inner_text("#earlier-requests")
        await page.screenshot(path=str(SHOTS / "earlier-requests.png"))

        await page.click("#nav-register")
        await page.wait_for_selector("#register-list")
        await page.fill("#id_number", ID_NUMBER)
        await page.click("#register-search")
        await page.wait_for_selector('#register-count[data-total="2"]')
        rows = await page.query_selector_all("#register-list tr[data-case]")
        assert [await r.get_attribute("data-case") for r in rows] == [second, first]  # newest first
        assert ID_NUMBER not in await page.inner_text("#register-list")  # masked in the list
        await page.screenshot(path=str(SHOTS / "register-search.png"), full_page=True)
        await page.fill("#id_number", ID_NUMBER[:-1])  # a part of the number finds nothing
        await page.click("#register-search")
        await page.wait_for_selector('#register-count[data-total="0"]')
        await page.fill("#date_from", "2026-02-01")
        await page.fill("#date_to", "2026-01-01")
        await page.click("#register-search")
        await page.wait_for_selector("#register-error")
        assert "截止日期不能早于起始日期" in await page.inner_text("#register-error")
        assert refused == []  # nothing blocked by the Content-Security-Policy, no script error
        await browser.close()
