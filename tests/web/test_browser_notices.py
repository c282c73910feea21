"""In a real browser: the officer is told when the reply draft comes back and when the extension is
approved; the reply's due instant reads the same on the case page, in the timeline, in the notice,
in the inbox and in the extension letter (in Chinese numerals, the same day); one notice is marked
read in place, 全部已读 clears the badge, and a 督办 issued meanwhile shows on the badge by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from sqlmodel import select

from gongkai.instants import deadline_text, instant_text, last_day
from gongkai.letters import chinese_date
from models import Deadline
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_apply, browser_login, browser_receipt

pytestmark = pytest.mark.browser


async def _logout(page) -> None:
    await page.click("text=退出")
    await page.wait_for_selector("#login-form")


async def _reply_due(db, code: str):
    async with db.session_factory() as s:
        return (await s.execute(select(Deadline.due_at).where(Deadline.id == f"{code}/reply"))).scalar_one()


async def test_the_officer_is_told_and_the_instant_reads_the_same_everywhere(system, db, tmp_path: Path):
    SHOTS.mkdir(exist_ok=True)
    id_copy = tmp_path / "id.pdf"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            applicant = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            applicant.set_default_timeout(20000)
            await browser_apply(applicant, system, id_copy, name="孙八", id_doc="110101198707071234",
                                phone="13600000000", email="sun@example.cn",
                                description="申请公开本区2026年道路维修计划")
            code, _query = await browser_receipt(applicant)

            officer = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            officer.set_default_timeout(20000)
            await browser_login(officer, system, "gkb_officer")
            await officer.goto(f"{system}/inbox")
            await officer.click(f'[data-claim="{code}"]')
            await officer.wait_for_selector(f'tr[data-case="{code}"]')
            await officer.goto(f"{system}/disclosure/{code}")
            await officer.click("#do-confirm_receipt")
            await officer.wait_for_selector('#case-stage[data-stage="review"]')
            await officer.click("#do-accept")
            await officer.wait_for_selector('#case-stage[data-stage="handling"]')
            await officer.fill("#request_extension-days", "1")
            await officer.fill("#request_extension-reason", "需调取档案")
            await officer.click("#do-request_extension")
            # The draft form was on the page before: wait for the page the request returns to.
            await officer.wait_for_selector('tr[data-action="extension_requested"]')
            await officer.wait_for_selector("#do-draft_reply")
            draft = officer.locator('form[data-action="draft_reply"]')
            await draft.locator("#reason-select").select_option("granted")
            await draft.locator('textarea[name="text"]').fill("经审查，予以公开。")
            await draft.locator("#do-draft_reply").click()
            await officer.wait_for_selector('#case-stage[data-stage="sign_off"]')
            await _logout(officer)

            head = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            head.set_default_timeout(20000)
            await browser_login(head, system, "gkb_head")
            await head.goto(f"{system}/disclosure/{code}")
            decide = head.locator('form[data-action="decide_extension"]')
            await decide.locator('input[name="approve"][value="true"]').check()
            await decide.locator("#do-decide_extension").click()
            await head.wait_for_selector("#letters [data-letter=extension]")
            sign = head.locator('form[data-action="sign_off"]')
            await sign.locator('input[name="approve"][value="false"]').check()
            await sign.locator('input[name="comment"]').fill("请写明公开方式")
            await sign.locator("#do-sign_off").click()
            await head.wait_for_selector('#case-stage[data-stage="handling"]')

            due = await _reply_due(db, code)
            written = instant_text(due)
            assert written.endswith(" 24:00")  # a working day's end, never 00:00 of the next

            # The case page, the timeline, the notices, the inbox and the letter: the same instant.
            await browser_login(officer, system, "gkb_officer")
            await officer.goto(f"{system}/disclosure/{code}")
            assert await officer.inner_text('[data-deadline="reply"] .due') == deadline_text(due)
            timeline = await officer.inner_text("#timeline")
            assert f"→ {written}" in timeline and " 00:00" not in timeline
            assert "gkb_officer" not in timeline and "gkb_head" not in timeline and "系统" in timeline
            await officer.click('#letters a[data-letter="extension"]')
            await officer.wait_for_selector(".gw-no")
            assert chinese_date(last_day(due)) in await officer.inner_text("body")
            await officer.goto(f"{system}/inbox")
            assert written in await officer.inner_text(f'tr[data-case="{code}"]')

            await officer.goto(f"{system}/")
            badge = officer.locator("#unread-badge")
            await expect(badge).to_have_text("2")
            notices = officer.locator("#notifications tr[data-notification]")
            texts = await notices.all_inner_texts()
            returned = [t for t in texts if "【答复草稿退回】" in t]
            approved = [t for t in texts if "【延期已批准】" in t]
            assert returned and "请写明公开方式" in returned[0] and deadline_text(due) in returned[0]
            assert approved and deadline_text(due) in approved[0] and " 00:00" not in "".join(texts)
            await officer.screenshot(path=str(SHOTS / "notices.png"), full_page=True)

            # One read in place: the page is not reloaded (what this page holds stays), the badge follows.
            await officer.evaluate("window.sameDocument = true")
            await notices.first.locator("button").click()
            await expect(notices).to_have_count(1)
            await expect(badge).to_have_text("1")
            assert await officer.evaluate("window.sameDocument === true")
            await officer.click("#read-all")
            await expect(officer.locator("#notifications")).to_contain_text("暂无待阅事项")
            await expect(badge).to_have_text("0")
            assert await officer.evaluate("window.sameDocument === true")

            # A 督办 issued meanwhile reaches the officer's badge without a reload (the header polls).
            await head.goto(f"{system}/disclosure/{code}")
            await head.fill("#supervise-note", "请于本周内答复")
            await head.click("#do-supervise")
            await head.wait_for_selector("#case-stage")
            await expect(badge).to_have_text("1", timeout=45000)
            assert await officer.evaluate("window.sameDocument === true")
            assert refused == []
        finally:
            await browser.close()
