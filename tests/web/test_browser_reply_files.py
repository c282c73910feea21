"""The reply's files in a real browser: the officer attaches a document to the draft, the office
head sees it when signing off, and once the reply is sent the applicant downloads it from /track
under its Chinese name."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.support.server import ARGS, CHROMIUM, Refusals
from tests.web.conftest import browser_login, browser_track
from tests.web.test_browser_intake import _fill

pytestmark = pytest.mark.browser
PLAN = b"%PDF-1.4\n% 2026 renovation list\n"


async def test_the_applicant_downloads_the_file_the_reply_discloses(system, tmp_path: Path):
    id_copy, plan = tmp_path / "id.pdf", tmp_path / "改造项目清单.pdf"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    plan.write_bytes(PLAN)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            applicant_context = await browser.new_context(locale="zh-CN", accept_downloads=True)
            applicant_context.set_default_timeout(20000)
            applicant = refused.watch(await applicant_context.new_page())
            await applicant.goto(f"{system}/apply")
            await _fill(applicant, id_copy)
            await applicant.click("#apply-submit")
            code = (await applicant.inner_text("#tracking-code")).strip()
            query = (await applicant.inner_text("#query-code")).strip()

            officer_context = await browser.new_context(locale="zh-CN")
            officer_context.set_default_timeout(20000)
            officer = refused.watch(await officer_context.new_page())
            await browser_login(officer, system, "gkb_officer")
            await officer.goto(f"{system}/disclosure/{code}")
            for action, stage in (("confirm_receipt", "review"), ("claim", "review"), ("accept", "handling")):
                await officer.click(f"#do-{action}")
                await officer.wait_for_selector(f'#case-stage[data-stage="{stage}"]')
            draft = officer.locator('form[data-action="draft_reply"]')
            await draft.locator("#reason-select").select_option("granted")
            await draft.locator('textarea[name="text"]').fill("经审查，予以公开，项目清单见附件。")
            await draft.locator('input[name="reply_files"]').set_input_files(str(plan))
            await draft.locator("#do-draft_reply").click()
            await officer.wait_for_selector('#case-stage[data-stage="sign_off"]')
            assert "改造项目清单.pdf" in await officer.inner_text("#reply-files")

            await officer.click("text=退出")
            await browser_login(officer, system, "gkb_head")
            await officer.goto(f"{system}/disclosure/{code}")
            assert "改造项目清单.pdf" in await officer.inner_text("#reply-files")
            await officer.check('form[data-action="sign_off"] input[name="approve"][value="true"]')  # none pre-selected
            await officer.click("#do-sign_off")
            await officer.wait_for_selector('#case-stage[data-stage="signed"]')
            await officer.click("text=退出")
            await browser_login(officer, system, "gkb_officer")
            await officer.goto(f"{system}/disclosure/{code}")
            await officer.click("#do-send_reply")
            await officer.wait_for_selector('#case-stage[data-stage="replied"]')

            await browser_track(applicant, system, code, query)
            form = applicant.locator('#reply-downloads form[data-reply-file="改造项目清单.pdf"]')
            async with applicant.expect_download() as got:
                await form.locator("button").click()
            download = await got.value
            assert download.suggested_filename == "改造项目清单.pdf"
            assert Path(await download.path()).read_bytes() == PLAN
            assert refused == []
        finally:
            await browser.close()
