"""Nothing typed is lost, in a real browser, as the role concerned: the policy document typed and
submitted at once (报送审签 saves first); a supervisor's half-typed 督办 note through the board's
refresh; a draft through an expired session and a new login; and /apply refused for two reasons at
once, keeping its upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from models import AuditEvent, DisclosureAttachment, FormDraft, PolicyCase
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_apply, browser_login

pytestmark = pytest.mark.browser
DOCUMENT = "关于加快推进老旧小区改造的实施意见（全文）：第一条 为改善居民居住条件……"


async def _new_policy(page, base: str) -> str:
    await page.goto(f"{base}/policy")
    await page.fill("#title", "老旧小区改造实施意见")
    await page.select_option("#issuance", "department")
    await page.click("#policy-create")
    await page.wait_for_selector("#draft-form")
    return page.url.rsplit("/", 1)[1]


async def _login_here(page, username: str) -> None:
    """On the login page the app sent us to: sign in, and follow where it leads."""
    await page.wait_for_selector("#login-submit")
    await page.fill("#username", username)
    await page.fill("#password", "gongkai2026")
    await page.click("#login-submit")
    await page.wait_for_selector("#who")


async def _drafts(db, key: str) -> list[FormDraft]:
    async with db.session_factory() as s:
        return list((await s.execute(select(FormDraft).where(FormDraft.key == key))).scalars())


async def test_policy_typed_then_submitted_keeps_the_text(system, db):
    """The drafter types the document and presses 报送审签 without 保存: the text is saved, the gate
    judges what was typed (with the attribute shown as selected), and the case is submitted."""
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            page.set_default_timeout(20000)
            await browser_login(page, system, "jyj_officer")
            cid = await _new_policy(page, system)
            await page.fill("#document_text", DOCUMENT)
            await page.click("#submit-policy")  # the plan is still missing: refused, the text stays
            refusal = page.locator("#draft-form .field-error")
            await refusal.wait_for()
            assert "解读方案" in await refusal.inner_text()
            assert "政策文件" not in await page.inner_text("#missing")
            assert "公开属性" not in await page.inner_text("#missing")
            assert await page.input_value("#document_text") == DOCUMENT
            await page.fill("#plan_text", "解读方案：起草部门负责解读")
            await page.check('input[name="materials"][value="qa"]')
            await page.fill("#materials_text", "问答十条")
            await page.click("#submit-policy")
            await page.wait_for_selector('#policy-stage[data-stage="sign_off"]')
            await page.screenshot(path=str(SHOTS / "policy-submitted-at-once.png"), full_page=True)
            assert refused == []
        finally:
            await browser.close()
    async with db.session_factory() as s:
        row = await s.get(PolicyCase, cid)
    assert row is not None and row.stage == "sign_off" and row.document_version == 1
    assert row.state["draft"]["document_text"] == DOCUMENT
    assert await _drafts(db, f"policy:{cid}") == []  # taken: no draft left to offer


async def test_a_draft_survives_an_expired_session(system, db):
    """Typed, saved as a draft while typing; the session ends (its cookie gone); 保存 leads to the
    login page, and after login to the form's page (not a replayed POST), where the draft is back."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            context = await browser.new_context(locale="zh-CN")
            page = refused.watch(await context.new_page())
            page.set_default_timeout(20000)
            await browser_login(page, system, "jyj_officer")
            cid = await _new_policy(page, system)
            await page.fill("#document_text", DOCUMENT)
            await page.wait_for_selector('#draft-form .draft-status[data-state="saved"]')
            rows = await _drafts(db, f"policy:{cid}")
            assert len(rows) == 1 and DOCUMENT.encode() not in rows[0].data  # sealed, not in clear

            # No request in flight: a response arriving after the cookies are cleared (the page's
            # own fetches refresh the session cookie) would set them again.
            await page.wait_for_load_state("networkidle")
            await context.clear_cookies()  # the session has expired
            await page.click("#save-draft")
            await _login_here(page, "jyj_officer")
            assert page.url == f"{system}/policy/{cid}"
            note = page.locator("#draft-form .draft-note")
            await note.wait_for()
            assert "已恢复未提交的草稿（保存于" in await note.inner_text()
            assert await page.input_value("#document_text") == DOCUMENT
            await page.screenshot(path=str(SHOTS / "draft-restored.png"), full_page=True)

            # taken: the draft goes, the case holds the text. Waiting for the page it leads to, not for
            # #draft-form (the old page has it too): a reload racing that navigation lost what was typed next.
            async with page.expect_navigation():
                await page.click("#save-draft")
            await page.wait_for_selector("#draft-form")
            assert await page.input_value("#document_text") == DOCUMENT
            assert await _drafts(db, f"policy:{cid}") == []
            await page.reload()
            assert await page.locator(".draft-note").count() == 0

            # Typed after the session ended: the server cannot keep it, the tab does until the login.
            # No request in flight: a response arriving after the cookies are cleared (the page's
            # own fetches refresh the session cookie) would set them again.
            await page.wait_for_load_state("networkidle")
            await context.clear_cookies()
            await page.fill("#plan_text", "解读方案：会后补写")
            await page.wait_for_selector('#draft-form .draft-status[data-state="failed"]')
            await page.click("#save-draft")
            await _login_here(page, "jyj_officer")
            assert page.url == f"{system}/policy/{cid}"
            await page.locator("#draft-form .draft-note").wait_for()
            assert await page.input_value("#plan_text") == "解读方案：会后补写"
            assert len(await _drafts(db, f"policy:{cid}")) == 1  # and now on the server
            assert refused == []
        finally:
            await browser.close()


async def test_apply_shows_every_error_at_once_and_keeps_the_upload(system, db, tmp_path: Path):
    id_copy = tmp_path / "身份证.pdf"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            page.set_default_timeout(20000)
            await browser_apply(page, system, id_copy, phone="12", description="太短")
            phone = page.locator('[data-error-for="phone"]')
            description = page.locator('[data-error-for="description"]')
            assert "联系电话" in await phone.inner_text() and "不少于10个字" in await description.inner_text()
            assert "2 处" in await page.inner_text("#form-error")
            kept = page.locator('[data-kept="身份证.pdf"]')
            assert "已上传：身份证.pdf（无需重新选择）" in await kept.inner_text()
            assert await page.input_value("#name") == "赵六"
            await page.screenshot(path=str(SHOTS / "apply-two-errors.png"), full_page=True)
            # Corrected, without choosing the file again: accepted, with the kept file attached.
            await page.fill("#phone", "13900000000")
            await page.fill("#description", "申请公开本区2026年老旧小区改造项目清单及资金来源")
            await page.click("#apply-submit")
            code = (await page.inner_text("#tracking-code")).strip()
            assert code.startswith("DR-")
            assert refused == []
        finally:
            await browser.close()
    async with db.session_factory() as s:
        files = list((await s.execute(select(DisclosureAttachment).where(
            DisclosureAttachment.request_id == code))).scalars())
    assert [(f.filename, f.size) for f in files] == [("身份证.pdf", id_copy.stat().st_size)]


async def test_a_board_refresh_keeps_a_half_typed_note(system, db, tmp_path: Path):
    """The supervisor types a 督办 note on the board; the board's 60-second refresh comes (the
    browser's clock moved on) and leaves the form alone; the note is then submitted as typed."""
    id_copy = tmp_path / "id.pdf"
    id_copy.write_bytes(b"%PDF-1.4\n% scanned identity card\n")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            applicant = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            applicant.set_default_timeout(20000)
            await browser_apply(applicant, system, id_copy, phone="13900000000",
                         description="申请公开本区2026年老旧小区改造项目清单及资金来源")
            code = (await applicant.inner_text("#tracking-code")).strip()

            page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
            page.set_default_timeout(20000)
            await page.clock.install()
            await browser_login(page, system, "duban")
            await page.goto(f"{system}/board?within=60")
            # Untouched, the board refreshes itself.
            async with page.expect_response(lambda r: "/board?within=60" in r.url):
                await page.clock.run_for(61_000)
            note = page.locator(f'form[data-draft="disclosure-supervise:{code}"] input[name="note"]')
            await note.fill("请于本周五前答复申请人，并报送办理情况")
            await page.clock.run_for(61_000)
            await page.wait_for_selector("#board-groups[data-refresh-held]")
            assert await note.input_value() == "请于本周五前答复申请人，并报送办理情况"
            await page.click(f'[data-supervise="{code}"]')
            await page.wait_for_url(f"{system}/board")
            assert refused == []
        finally:
            await browser.close()
    async with db.session_factory() as s:
        notes = [e.summary for e in (await s.execute(select(AuditEvent).where(
            AuditEvent.case_id == code, AuditEvent.action == "supervised"))).scalars()]
    assert any("请于本周五前答复申请人" in n for n in notes), notes


async def test_a_background_refresh_after_the_session_ended_leaves_the_page_alone(system, db):
    """The header's 待阅 count refreshes itself; once the session has ended, that refresh does not
    take the page to the login (what is being typed would go): the person's next action does."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            refused = Refusals()
            context = await browser.new_context(locale="zh-CN")
            page = refused.watch(await context.new_page())
            page.set_default_timeout(20000)
            await browser_login(page, system, "jyj_officer")
            cid = await _new_policy(page, system)
            # No request in flight: a response arriving after the cookies are cleared (the page's
            # own fetches refresh the session cookie) would set them again.
            await page.wait_for_load_state("networkidle")
            await context.clear_cookies()  # the session has expired
            await page.fill("#plan_text", "解读方案：正在输入")
            # The count refreshes every 30 s: the next refresh is refused (the session has ended).
            async with page.expect_response(lambda r: "/notifications/badge" in r.url and r.status == 401,
                                            timeout=45000) as polled:
                pass
            assert (await polled.value).headers.get("hx-redirect", "").startswith("/login")
            await page.wait_for_timeout(1000)  # had it been followed, the page would be going now
            assert page.url == f"{system}/policy/{cid}"
            assert await page.input_value("#plan_text") == "解读方案：正在输入"
            await page.click("#save-draft")  # the person's own action leads to the login, typing kept
            await _login_here(page, "jyj_officer")
            assert page.url == f"{system}/policy/{cid}"
            await page.locator("#draft-form .draft-note").wait_for()
            assert await page.input_value("#plan_text") == "解读方案：正在输入"
            assert refused == []
        finally:
            await browser.close()
