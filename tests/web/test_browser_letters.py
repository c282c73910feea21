"""Letters in a real browser: the officer's screen view shows the 公文 with its seal under the
Content-Security-Policy, and the applicant downloads the sealed PDF from /track."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.letters.support import pdf_text
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login, browser_track
from tests.web.test_letters import _case_with_letters

pytestmark = pytest.mark.browser


async def test_a_letter_on_screen_and_its_pdf_from_track(system, db):
    SHOTS.mkdir(exist_ok=True)
    rid, code, letters = await _case_with_letters(db)
    letter = letters["correction"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            officer = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            officer.set_default_timeout(20000)
            await browser_login(officer, system, "jyj_officer")
            await officer.goto(f"{system}/disclosure/{rid}")
            assert letter.doc_no in await officer.inner_text("#letters")
            await officer.click('#letters a[data-letter="correction"]')
            await officer.wait_for_selector(".gw-seal")
            assert await officer.inner_text(".gw-no") == letter.doc_no
            assert await officer.eval_on_selector(".gw-seal", "img => img.complete && img.naturalWidth > 0")
            await officer.screenshot(path=str(SHOTS / "letter.png"), full_page=True)

            applicant = refused.watch(await (await browser.new_context(locale="zh-CN", accept_downloads=True)
                                             ).new_page())
            applicant.set_default_timeout(20000)
            await browser_track(applicant, system, rid, code)
            assert letter.doc_no in await applicant.inner_text('[data-letter-kind="correction"]')
            async with applicant.expect_download() as waiting:
                await applicant.click('button[data-letter-pdf="correction"]')
            download = await waiting.value
            content = Path(await download.path()).read_bytes()
            assert content.startswith(b"%PDF") and letter.doc_no in pdf_text(content)
            assert download.suggested_filename.endswith(".pdf")
            assert refused == []
        finally:
            await browser.close()
