"""A published normative document opens its publication items (the government website on its
15-working-day clock, the gazette), listed on its case page and worked like any other item; every
publication address must be one a reader can open; the 文号 given at creation is shown wherever the
document is listed."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from models import AuditEvent, Deadline, PublicationItem
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


async def _items(db, cid: str) -> list[PublicationItem]:
    for _ in range(100):
        async with db.session_factory() as s:
            rows = list((await s.execute(select(PublicationItem).where(
                PublicationItem.source == "policy", PublicationItem.external_key == cid)
                .order_by(PublicationItem.id))).scalars())
        if len(rows) == 2:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"the items of {cid} never opened")


@pytest.mark.browser
async def test_the_officer_publishes_the_website_item_from_the_policy_page(system, db):
    async with httpx.AsyncClient(base_url=system) as client:
        cid = await _published_normative(client)
    website, gazette = await _items(db, cid)
    assert (website.kind, gazette.kind) == ("normative", "gazette")
    async with db.session_factory() as s:
        assert await s.get(Deadline, f"{cid}/website") is None
        assert (await s.get(Deadline, f"{website.id}/publication")).state == "running"
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
        assert await page.locator('form[data-action="record_website"]').count() == 0
        items = page.locator("#policy-items li")
        assert await items.count() == 2
        assert "政府公报刊登" in await page.inner_text(f'[data-item="{gazette.id}"]')
        await page.screenshot(path=str(SHOTS / "policy-publication-items.png"), full_page=True)
        await page.click(f'[data-item="{website.id}"] a')
        await page.wait_for_selector("#publication-stage")
        assert await page.get_attribute("#item-policy", "href") == f"/policy/{cid}"
        await page.click("#do-submit")  # its confidentiality review was the document's
        await page.wait_for_selector('#publication-stage[data-stage="publishing"]')
        await page.select_option("#publish-channel", "gov_website")
        await page.fill("#publish-url", "ftp://www.example.gov.cn/gfxwj/12")  # the browser lets it through
        await page.click("#do-publish")
        await page.wait_for_selector('[data-error-for="url"]')
        assert "应为完整的网址" in await page.inner_text('[data-error-for="url"]')
        assert await page.locator("#publish-url").input_value() == "ftp://www.example.gov.cn/gfxwj/12"
        await page.fill("#publish-url", "https://www.example.gov.cn/gfxwj/2026/12")
        await page.click("#do-publish")
        await page.wait_for_selector('#publication-stage[data-stage="done"]')
        await page.click("#item-policy")
        await page.wait_for_selector(f'[data-item="{website.id}"] [data-item-stage="done"]')
        assert "已发布（按期）" in await page.inner_text(f'[data-item="{website.id}"]')
        assert await page.locator(f'[data-item="{gazette.id}"] [data-item-stage="drafting"]').count() == 1
        await page.screenshot(path=str(SHOTS / "policy-website-item-published.png"), full_page=True)
        assert refused == []
        await browser.close()
    async with db.session_factory() as s:
        assert (await s.get(Deadline, f"{website.id}/publication")).state == "met"
        audit = (await s.execute(select(AuditEvent.summary).where(
            AuditEvent.case_id == website.id, AuditEvent.action == "published"))).scalar_one()
    assert "https://www.example.gov.cn/gfxwj/2026/12" in audit
