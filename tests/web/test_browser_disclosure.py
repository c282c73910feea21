"""The whole request in a real browser: an applicant files online, an officer claims it in the
inbox, asks for a correction, registers the corrected application, drafts the reply, the office
head signs it off, a supervisor reveals the applicant's masked numbers, the officer sends it, and the
applicant's status page shows the reply."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_apply, browser_ask_correction, browser_login, browser_receipt, browser_track

pytestmark = pytest.mark.browser


async def _logout(page) -> None:
    await page.click("text=退出")
    await page.wait_for_selector("#login-form")


async def test_applicant_to_reply_in_a_browser(system, tmp_path: Path):
    SHOTS.mkdir(exist_ok=True)
    id_copy = tmp_path / "id.pdf"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(locale="zh-CN")
        context.set_default_timeout(20000)
        refused = Refusals()
        applicant = refused.watch(await context.new_page())
        await browser_apply(applicant, system, id_copy)
        code, query = await browser_receipt(applicant)
        await applicant.screenshot(path=str(SHOTS / "receipt.png"))

        officer = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        officer.set_default_timeout(20000)
        await browser_login(officer, system, "gkb_officer")
        await officer.goto(f"{system}/inbox")
        await officer.click(f'[data-claim="{code}"]')
        await officer.wait_for_selector(f'tr[data-case="{code}"]')
        await officer.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)
        await officer.click(f'tr[data-case="{code}"] a')
        await browser_ask_correction(officer, "请写明具体小区名称或街道范围")

        # The applicant sees what is expected of them.
        await browser_track(applicant, system, code, query)
        assert "请写明具体小区名称" in await applicant.inner_text("#expected")

        await officer.fill("#receive_correction-text", "申请人当面补正：XX街道XX小区")
        await officer.click("#do-receive_correction")
        await officer.wait_for_selector('#case-stage[data-stage="review"]')
        await officer.click("#do-accept")
        await officer.wait_for_selector('#case-stage[data-stage="handling"]')
        draft = officer.locator('form[data-action="draft_reply"]')
        await draft.locator("#reason-select").select_option("granted")
        await draft.locator('textarea[name="text"]').fill("经审查，予以公开，项目清单见附件。")
        await draft.locator("#do-draft_reply").click()
        await officer.wait_for_selector('#case-stage[data-stage="sign_off"]')
        await officer.screenshot(path=str(SHOTS / "case.png"), full_page=True)
        await _logout(officer)

        await browser_login(officer, system, "gkb_head")
        await officer.goto(f"{system}/disclosure/{code}")
        await officer.check('form[data-action="sign_off"] input[name="approve"][value="true"]')  # none pre-selected
        await officer.click("#do-sign_off")
        await officer.wait_for_selector('#case-stage[data-stage="signed"]')
        await _logout(officer)
        # A supervisor sees the numbers masked, and reveals them in place (htmx swaps the block).
        await browser_login(officer, system, "duban")
        await officer.goto(f"{system}/disclosure/{code}")
        assert await officer.inner_text("#id-doc-number") == "110101********123X"
        await officer.click("#reveal")
        await officer.wait_for_selector('#identity[data-masked="false"]')
        assert await officer.inner_text("#id-doc-number") == "11010119850505123X"
        assert await officer.inner_text("#contact-phone") == "13900000000"
        assert officer.url == f"{system}/disclosure/{code}"
        await _logout(officer)
        await browser_login(officer, system, "gkb_officer")
        await officer.goto(f"{system}/disclosure/{code}")
        await officer.click("#do-send_reply")
        await officer.wait_for_selector('#case-stage[data-stage="replied"]')

        await browser_track(applicant, system, code, query)
        assert "已答复" in await applicant.inner_text("#stage")
        letter = applicant.locator('[data-letter-kind="reply_GRANTED"]')
        assert "予以公开" in await letter.inner_text()
        await applicant.screenshot(path=str(SHOTS / "status-replied.png"), full_page=True)
        assert refused == []  # nothing blocked by the Content-Security-Policy, no script error
        await browser.close()


async def test_a_correction_sent_from_track_restarts_the_reply_period(system, db, tmp_path: Path):
    """The applicant answers a correction notice from /track with a text and a file; the officer
    sees both on the case page, opens the file and records the receipt (dated the day it was sent);
    the reply period restarts from that day, and /track and the case page say so in the same words."""
    from datetime import datetime

    from gongkai.clock import CST, local_date, start_of_day
    from models import Deadline

    SHOTS.mkdir(exist_ok=True)
    id_copy, corrected = tmp_path / "id.pdf", tmp_path / "补正申请.png"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    corrected.write_bytes(b"\x89PNG\r\n\x1a\n" + b"corrected application scan" * 8)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        applicant = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        applicant.set_default_timeout(20000)
        await browser_apply(applicant, system, id_copy, name="钱七", id_doc="110101198806061234", phone="13700000000",
                            email="qian@example.cn", description="申请公开本区老旧小区改造的有关信息")
        code, query = await browser_receipt(applicant)

        officer = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        officer.set_default_timeout(20000)
        await browser_login(officer, system, "gkb_officer")
        await officer.goto(f"{system}/disclosure/{code}")
        await browser_ask_correction(officer, "请写明具体小区名称或街道范围")

        # While it waits, /track says the period starts again after the correction, not that it is paused.
        await browser_track(applicant, system, code, query)
        waiting = await applicant.inner_text("#legal-deadline")
        assert "补正后重新计算" in waiting and "暂停计算" not in waiting
        await applicant.fill("#correction_text", "所需信息为XX街道XX小区2026年改造项目清单")
        await applicant.set_input_files("#correction_files", str(corrected))
        await applicant.click("#correction-submit")
        await applicant.wait_for_selector("#correction-pending")
        sent = applicant.locator('.correction[data-correction="1"]')
        assert "XX街道XX小区" in await sent.inner_text() and "补正申请.png" in await sent.inner_text()
        assert "待工作人员确认收到" in await sent.inner_text()
        assert await applicant.locator("#correction-form").count() == 1  # a second part may still follow
        await applicant.screenshot(path=str(SHOTS / "track-correction-sent.png"), full_page=True)

        # The officer sees it, opens the file, and records the receipt on the day it was sent.
        await officer.goto(f"{system}/disclosure/{code}")
        submission = officer.locator('#correction .correction[data-correction="1"]')
        assert "XX街道XX小区" in await submission.inner_text() and "待确认收到" in await submission.inner_text()
        async with officer.expect_download() as download:
            await officer.click('[data-correction-file="补正申请.png"]')
        assert Path(await (await download.value).path()).read_bytes() == corrected.read_bytes()
        today = datetime.now(CST).date().isoformat()
        receipt = officer.locator('form[data-action="receive_correction"]')
        assert await receipt.locator("#receive_correction-day").input_value() == today
        assert await receipt.locator("#receive_correction-channel").input_value() == "online"
        await officer.screenshot(path=str(SHOTS / "case-correction.png"), full_page=True)
        await receipt.locator("#do-receive_correction").click()
        await officer.wait_for_selector('#case-stage[data-stage="review"]')

        async with db.session_factory() as s:
            reply = await s.get(Deadline, f"{code}/reply")
        assert reply.state == "running" and reply.start_at == start_of_day(local_date(reply.start_at))
        assert local_date(reply.start_at).isoformat() == today  # restarted from the day it was sent
        said = f"补正后重新计算，自 {today} 起 20 个工作日，至 {reply.last_day.isoformat()} 届满"
        assert said in await officer.inner_text("#reply-clock")
        assert await officer.get_attribute('.correction[data-correction="1"]', "data-received") == today

        await browser_track(applicant, system, code, query)
        assert said in await applicant.inner_text("#legal-deadline")
        assert f"本机关已于 {today} 收到" in await applicant.inner_text('.correction[data-correction="1"]')
        assert await applicant.locator("#correction-form").count() == 0
        await applicant.screenshot(path=str(SHOTS / "track-correction-received.png"), full_page=True)
        assert refused == []
        await browser.close()
