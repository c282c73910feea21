"""The issue's browser test, in a real headless chromium under the Content-Security-Policy: the
administrator opens 时限规则, is refused a change without a reason (beside the field, the rest kept),
changes the reply limit with a reason, and sees the new version in the history with who, why and
what; then, with a case open under version 1, previews which deadlines the new version moves and
applies it, and the case's due date moves."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from gongkai import rule_store
from gongkai.clock import CST
from models import Deadline
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


async def _change_reply_limit(page, amount: str, reason: str) -> None:
    """On 时限规则: open the reply rule's form, try without a reason, then save with one."""
    await page.click("#nav-rules")
    await page.wait_for_selector("#rules-table")
    await page.click('[data-edit="reply"]')
    await page.wait_for_selector("#rule-form")
    await page.fill("#amount", amount)
    await page.click("#rule-submit")  # no reason: refused beside the field, the limit typed kept
    error = page.locator('[data-error-for="reason"]')
    assert (await error.inner_text()).startswith("请填写修改原因")
    assert await page.input_value("#amount") == amount
    await page.screenshot(path=str(SHOTS / "rules-edit-refused.png"), full_page=True)
    await page.fill("#reason", reason)
    await page.click("#rule-submit")
    await page.wait_for_selector("#saved")


async def test_the_administrator_changes_a_limit_with_a_reason_and_sees_the_history(server):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        page.set_default_timeout(20000)
        await browser_login(page, server, "admin")
        await page.click("#nav-rules")
        await page.wait_for_selector("#rules-table")
        assert await page.title() == "时限规则 · 公开"
        assert "全国通用规则" in await page.inner_text("#shipped-profile")
        assert "20个工作日" in await page.inner_text('tr[data-rule="reply"] [data-limit]')

        await _change_reply_limit(page, "15", "本机关方案规定15个工作日内答复")
        saved = await page.inner_text("#saved")
        assert "已保存为第 2 版" in saved and "在办案件仍按原规则计时" in saved
        row = page.locator('#versions tr[data-version="2"]')
        assert await row.get_attribute("data-origin") == "ui"
        assert await row.locator("[data-who]").inner_text() == "系统管理员"
        assert await row.locator("[data-reason]").inner_text() == "本机关方案规定15个工作日内答复"
        assert "期限：20个工作日 → 15个工作日" in await row.locator("[data-changes]").inner_text()
        await page.screenshot(path=str(SHOTS / "rules-history.png"), full_page=True)

        await page.click("#rules-index")
        await page.wait_for_selector("#rules-table")
        assert await page.inner_text('tr[data-rule="reply"] [data-limit]') == "15个工作日"
        assert "本机关方案规定15个工作日内答复" in await page.inner_text('tr[data-rule="reply"] [data-version]')
        await page.screenshot(path=str(SHOTS / "rules-table.png"), full_page=True)
        assert refused == []
        await browser.close()


async def _reply_due(db, code: str):
    async with db.session_factory() as s:
        return (await s.execute(select(Deadline.due_at).where(Deadline.id == f"{code}/reply"))).scalar_one()


async def test_a_case_keeps_its_due_date_until_the_administrator_applies_the_change_after_the_preview(system, db):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        page.set_default_timeout(20000)
        # An officer registers a request received in person: its reply clock runs by version 1.
        await browser_login(page, system, "jyj_officer")
        await page.goto(f"{system}/disclosure/new")
        await page.select_option("#intake_channel", "in_person")
        await page.fill("#received_date", datetime.now(CST).date().isoformat())
        await page.fill("#name", "赵六")
        await page.fill("#id_doc_number", "11010119850505123X")
        await page.fill("#phone", "13900000000")
        await page.fill("#email", "zhao@example.cn")
        await page.fill("#description", "申请公开本区2026年老旧小区改造项目清单")
        await page.select_option("#provision_channel", "email")
        await page.click("#register-submit")
        code = (await page.inner_text("#case-id")).strip()
        due_before = await page.inner_text('.deadline[data-deadline="reply"] .due')
        before = await _reply_due(db, code)

        await browser_login(page, system, "admin")
        await _change_reply_limit(page, "15", "本机关方案规定15个工作日内答复")
        assert await _reply_due(db, code) == before  # saved, but the open case keeps its rules

        await page.click("#apply-saved")
        await page.wait_for_selector("#preview")
        assert await page.get_attribute("#preview-summary", "data-cases") == "1"
        row = page.locator(f'#preview tr[data-case="{code}"]')
        assert await row.count() == 1
        assert await row.locator(f'a[href="/disclosure/{code}"]').count() == 1
        assert (await row.locator("[data-shift]").inner_text()) == "提前 5 个工作日"
        await page.screenshot(path=str(SHOTS / "rules-apply-preview.png"), full_page=True)
        await page.click("#apply-submit")
        await page.wait_for_selector("#applied")
        assert await page.get_attribute("#applied", "data-cases") == "1"
        assert await page.get_attribute("#applied", "data-moved") == "1"

        after = await _reply_due(db, code)
        assert after is not None and before is not None and after < before
        await page.goto(f"{system}/disclosure/{code}")
        due_after = await page.inner_text('.deadline[data-deadline="reply"] .due')
        assert due_after != due_before
        await page.goto(f"{system}/admin/rules/apply?version=2")
        await page.wait_for_selector("#no-cases")  # nothing left to move
        assert refused == []
        await browser.close()
