"""The applicant's side in a real browser: the receipt (time, summary, agency, phone, a print button
that prints the receipt without the navigation), going back and submitting the form again (a fresh
copy of the page, a new form key) lands on the same request, and withdrawal asks first."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from models import DisclosureRequest, OfficeProfile
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_track

pytestmark = pytest.mark.browser
DESCRIPTION = "申请公开本区2026年老旧小区改造项目清单及各项目的资金来源、施工单位和验收情况"


async def _fill(page, id_copy: Path) -> None:
    """What the applicant types (again after going back: the page is fetched anew)."""
    await page.select_option("#applicant_type", "natural_person")
    await page.fill("#name", "赵六")
    await page.fill("#id_doc_number", "11010119850505123X")
    await page.fill("#phone", "13900000000")
    await page.fill("#email", "zhao@example.cn")
    await page.fill("#description", DESCRIPTION)
    await page.select_option("#provision_channel", "email")
    await page.set_input_files("#attachments", str(id_copy))


async def test_receipt_back_and_submit_again_then_withdraw(system, db, tmp_path: Path):
    SHOTS.mkdir(exist_ok=True)
    async with db.session_factory() as s:
        await s.merge(OfficeProfile(id=1, agency_name="某某区人民政府办公室", agency_code="某府办公开",
                                    phone="010-12345678"))  # over the demo office the tests seed
        await s.commit()
    id_copy = tmp_path / "id.pdf"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(locale="zh-CN")
            context.set_default_timeout(20000)
            refused = Refusals()
            page = refused.watch(await context.new_page())
            await page.goto(f"{system}/apply")
            first_key = await page.locator('input[name="form_key"]').input_value()
            await _fill(page, id_copy)
            await page.click("#apply-submit")

            code = (await page.inner_text("#tracking-code")).strip()
            query = (await page.inner_text("#query-code")).strip()
            assert code.startswith("DR-") and len(query) == 12
            assert (await page.inner_text("#agency-name")) == "某某区人民政府办公室"
            assert (await page.inner_text("#agency-phone")) == "010-12345678"
            assert "年" in await page.inner_text("#submitted-at") and "北京时间" in await page.inner_text("#receipt")
            summary = await page.inner_text("#summary")
            assert summary.startswith("申请公开本区2026年老旧小区改造项目清单")
            assert "20个工作日" in await page.inner_text("#next-steps")
            button = page.locator("#print-receipt")
            assert await button.is_visible() and await button.get_attribute("data-print") is not None
            await page.screenshot(path=str(SHOTS / "receipt-full.png"), full_page=True)
            # Printed (or saved as PDF from the print dialog): the receipt, without navigation or buttons.
            await page.emulate_media(media="print")
            assert not await button.is_visible() and not await page.locator("header.top").is_visible()
            assert await page.locator("#tracking-code").is_visible()
            await page.pdf(path=str(SHOTS / "receipt.pdf"))  # what 另存为 PDF in the print dialog gives
            await page.emulate_media(media="screen")

            # Back to the form: a fresh copy with a new key; the applicant fills it in and submits again.
            await page.go_back()
            await page.wait_for_selector("#apply-form")
            assert await page.locator('input[name="form_key"]').input_value() != first_key
            await _fill(page, id_copy)
            await page.click("#apply-submit")
            assert (await page.inner_text("#tracking-code")).strip() == code
            second_query = (await page.inner_text("#query-code")).strip()
            async with db.session_factory() as s:
                assert [r.id for r in (await s.execute(select(DisclosureRequest))).scalars()] == [code]

            # Withdrawal: the status page asks first, says what it means, then shows the result.
            async def confirmation(tab) -> None:
                await browser_track(tab, system, code, query)  # the first code still works
                await tab.fill("#reason", "已通过其他途径获得")
                await tab.click("#withdraw-submit")
                assert "撤回后不能恢复" in await tab.inner_text("#withdraw-meaning")

            await confirmation(page)
            await page.click("#withdraw-cancel")  # 取消: back to the status, nothing done
            assert "待确认收到" in await page.inner_text("#stage")
            await page.click("#withdraw-submit")
            stale = refused.watch(await context.new_page())  # the same confirmation open in another tab
            await confirmation(stale)
            await page.screenshot(path=str(SHOTS / "withdraw-confirm.png"), full_page=True)
            await page.click("#withdraw-confirm-submit")
            assert await page.inner_text("#stage") == "已撤回"
            assert await page.locator('[data-letter-kind="withdrawn"]').count() == 1
            assert await page.locator("#withdraw-form").count() == 0
            # The stale tab's confirmation: a clear refusal on the status page, not an error page.
            async with stale.expect_response(lambda r: r.url.endswith("/track/withdraw")) as answer:
                await stale.click("#withdraw-confirm-submit")
            assert (await answer.value).status == 409
            assert "已撤回" in await stale.inner_text("#form-error") and await stale.inner_text("#stage") == "已撤回"
            assert second_query != query
            assert refused == []  # nothing blocked by the Content-Security-Policy, no script error
        finally:
            await browser.close()
