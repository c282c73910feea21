"""A published normative document's website publication is recorded on its case page (address and
time), which ends its 15-working-day clock; every publication address must be one a reader can
open; the 文号 given at creation is shown wherever the document is listed."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from models import AuditEvent, Deadline, PolicyCase
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login, login, post_form

DRAFT = {"document_text": "关于规范城镇老旧小区改造资金管理的规定（全文）", "plan_text": "解读方案：起草部门负责解读",
         "materials": ["qa"], "materials_text": "问答十条", "disclosure_mode": "proactive",
         "disclosure_scope": "full", "reasons": "", "channels": "政府网站"}
DOC_NUMBER = "县教发〔2026〕12号"
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


async def _switch(client, username: str) -> None:
    await post_form(client, "/logout", {}, token_from="/")
    await login(client, username)


async def _published_normative(client) -> str:
    """As the education bureau: a normative document with its 文号, signed, reviewed and published."""
    await login(client, "jyj_officer")
    r = await post_form(client, "/policy/new", {"title": "老旧小区改造资金管理规定", "issuance": "department",
                                                "doc_number": DOC_NUMBER, "normative": "on",
                                                "form_key": uuid.uuid4().hex}, token_from="/policy")
    assert r.status_code in (302, 303), r.text[:500]
    cid = r.headers["location"].rsplit("/", 1)[1]
    case = f"/policy/{cid}"
    assert (await post_form(client, f"{case}/update_draft", DRAFT, token_from=case)).status_code in (302, 303)
    assert (await post_form(client, f"{case}/submit", {}, token_from=case)).status_code in (302, 303)
    await _switch(client, "jyj_head")
    queue = (await client.get("/policy/queue")).text
    assert f'data-queue-item="{cid}"' in queue and DOC_NUMBER in queue
    assert (await post_form(client, f"{case}/sign", {"version": "1", "approve": "true", "comment": ""},
                            token_from=case)).status_code in (302, 303)
    assert (await post_form(client, f"{case}/secrecy_review", {"approve": "true", "comment": ""},
                            token_from=case)).status_code in (302, 303)
    await _switch(client, "jyj_officer")
    refused = await post_form(client, f"{case}/publish", {"url": "not a url"}, token_from=case)
    assert refused.status_code == 400 and "发布地址应为完整的网址" in refused.text
    assert 'value="not a url"' in refused.text  # kept beside the message
    assert (await post_form(client, f"{case}/publish", {"url": "https://www.example.gov.cn/zcwj/12"},
                            token_from=case)).status_code in (302, 303)
    return cid


async def test_the_doc_number_is_shown_and_page_titles_are_plain_text(live):
    cid = await _published_normative(live)
    index = await live.get("/policy")
    assert f'<td class="doc-number">{DOC_NUMBER}</td>' in index.text
    case = await live.get(f"/policy/{cid}")
    assert f'<p id="doc-number">文号：{DOC_NUMBER}</p>' in case.text
    for page in (index, case, await live.get("/policy/queue")):
        title = TITLE.search(page.text).group(1)
        assert "<" not in title and "&lt;" not in title and "\n" not in title, title
    assert TITLE.search(index.text).group(1) == "政策文件 · 公开"


@pytest.mark.browser
async def test_the_officer_records_the_website_publication_and_its_clock_ends(system, db):
    async with httpx.AsyncClient(base_url=system) as client:
        cid = await _published_normative(client)
    async with db.session_factory() as s:
        assert (await s.get(Deadline, f"{cid}/website")).state == "running"
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        page.set_default_timeout(20000)
        await browser_login(page, system, "jyj_officer")
        await page.goto(f"{system}/policy/{cid}")
        assert await page.title() == f"政策文件 {cid} 老旧小区改造资金管理规定 · 公开"
        assert DOC_NUMBER in await page.inner_text("#doc-number")
        form = page.locator('form[data-action="record_website"]')
        default_time = await form.locator("#website-at").input_value()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", default_time)  # now, Beijing time
        await form.locator("#website-url").fill("not a url")
        await form.locator("#do-website").click()
        await page.wait_for_selector('[data-error-for="url"]')
        assert "应为完整的网址" in await page.inner_text('[data-error-for="url"]')
        form = page.locator('form[data-action="record_website"]')  # the page came back with the form filled in
        assert await form.locator("#website-url").input_value() == "not a url"
        assert await form.locator("#website-at").input_value() == default_time
        await page.screenshot(path=str(SHOTS / "policy-website-refused.png"), full_page=True)
        await form.locator("#website-url").fill("https://www.example.gov.cn/gfxwj/2026/12")
        await form.locator("#do-website").click()
        await page.wait_for_selector("#website-published")
        assert "https://www.example.gov.cn/gfxwj/2026/12" in await page.inner_text("#website-published")
        assert default_time.replace("T", " ") in await page.inner_text("#website-published")
        assert await page.locator('form[data-action="record_website"]').count() == 0
        assert await page.get_attribute('[data-deadline="normative_publication"]', "data-state") == "met"
        await page.screenshot(path=str(SHOTS / "policy-website-recorded.png"), full_page=True)
        assert refused == []
        await browser.close()
    async with db.session_factory() as s:
        assert (await s.get(Deadline, f"{cid}/website")).state == "met"
        row = await s.get(PolicyCase, cid)
        audit = (await s.execute(select(AuditEvent.summary).where(
            AuditEvent.case_id == cid, AuditEvent.action == "website_published"))).scalar_one()
    assert row.state["published"]["website"] == "https://www.example.gov.cn/gfxwj/2026/12"
    assert "https://www.example.gov.cn/gfxwj/2026/12" in audit
