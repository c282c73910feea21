"""Policy pages: the leaders' sign-off queue in a real browser, and who may sign what."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from models import PolicyCase
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login, login, post_form

DRAFT = {"document_text": "关于加快推进老旧小区改造的实施意见（全文）", "plan_text": "解读方案：起草部门负责解读",
         "materials": ["qa", "graphic"], "materials_text": "问答十条；一图读懂", "disclosure_mode": "proactive",
         "disclosure_scope": "full", "reasons": "", "channels": "政府网站"}


async def _new_policy(client, issuance="government") -> str:
    r = await post_form(client, "/policy/new", {"title": "老旧小区改造实施意见", "issuance": issuance,
                                                "form_key": uuid.uuid4().hex}, token_from="/policy")
    assert r.status_code in (302, 303), r.text[:500]
    return r.headers["location"].rsplit("/", 1)[1]


async def test_only_the_right_head_signs_and_an_outdated_version_is_refused(live, db):
    await login(live, "jyj_officer")
    cid = await _new_policy(live, "department")
    await post_form(live, f"/policy/{cid}/update_draft", DRAFT, token_from=f"/policy/{cid}")
    await post_form(live, f"/policy/{cid}/submit", {}, token_from=f"/policy/{cid}")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zrzy_head")
    assert (await live.get(f"/policy/{cid}")).status_code == 403
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    stale = await post_form(live, f"/policy/{cid}/sign", {"version": "0", "approve": "true"},
                            token_from=f"/policy/{cid}")
    assert stale.status_code == 409 and "请审签最新版本" in stale.text
    ok = await post_form(live, f"/policy/{cid}/sign", {"version": "1", "approve": "true"}, token_from=f"/policy/{cid}")
    assert ok.status_code in (302, 303)
    async with db.session_factory() as s:
        assert (await s.get(PolicyCase, cid)).stage == "secrecy_review"


async def _approve_first_in_queue(page, base):
    await page.goto(f"{base}/policy/queue")
    await page.check('[data-queue-item] input[name="approve"][value="true"]')  # nothing is pre-selected
    await page.click("[data-queue-item] .do-sign")
    await page.wait_for_selector("h1")


@pytest.mark.browser
async def test_leader_sign_off_queue_in_a_browser(system, db):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        page.set_default_timeout(20000)
        await browser_login(page, system, "jyj_officer")
        await page.goto(f"{system}/policy")
        await page.fill("#title", "老旧小区改造实施意见")
        await page.select_option("#issuance", "government")
        await page.click("#policy-create")
        await page.wait_for_selector("#draft-form")
        cid = page.url.rsplit("/", 1)[1]
        await page.fill("#document_text", "实施意见全文（第一稿）")
        await page.fill("#plan_text", "解读方案：起草部门负责解读")
        await page.check('input[name="materials"][value="qa"]')
        await page.fill("#materials_text", "问答十条")
        await page.click("#save-draft")
        await page.click("#submit-policy")
        await page.wait_for_selector('#policy-stage[data-stage="sign_off"]')
        for who in ("jyj_head", "zfb_head"):
            await browser_login(page, system, who)
            await _approve_first_in_queue(page, system)

        await browser_login(page, system, "leader")
        await page.goto(f"{system}/policy/queue")
        item = page.locator(f'[data-queue-item="{cid}"]')
        await item.locator("details.document summary").click()  # the document is collapsed
        assert "第一稿" in await item.locator('[data-part="document"]').inner_text()
        assert "问答十条" in await item.locator('[data-part="interpretation"]').inner_text()
        await page.screenshot(path=str(SHOTS / "policy-queue.png"), full_page=True)
        await item.locator('input[name="approve"][value="false"]').check()
        await item.locator('input[name="comment"]').fill("请补充政策出台背景的解读")
        await item.locator(".do-sign").click()
        await page.wait_for_selector("#queue-empty")

        await browser_login(page, system, "jyj_officer")
        await page.goto(f"{system}/policy/{cid}")
        assert "请补充政策出台背景" in await page.inner_text("#policy-comment")
        await page.fill("#document_text", "实施意见全文（第二稿）")
        await page.fill("#plan_text", "解读方案：补充政策出台背景")
        await page.click("#save-draft")
        await page.click("#submit-policy")
        await page.wait_for_selector('#policy-stage[data-stage="sign_off"]')
        for who in ("jyj_head", "zfb_head"):
            await browser_login(page, system, who)
            await _approve_first_in_queue(page, system)
        await browser_login(page, system, "leader")
        await page.goto(f"{system}/policy/queue")
        item = page.locator(f'[data-queue-item="{cid}"]')
        await item.locator("details.document summary").click()
        assert "第二稿" in await item.locator('[data-part="document"]').inner_text()
        await item.locator('input[name="approve"][value="true"]').check()
        await item.locator(".do-sign").click()
        await page.wait_for_selector("#queue-empty")
        assert refused == []  # nothing blocked by the Content-Security-Policy, no script error
        await browser.close()
    async with db.session_factory() as s:
        row = (await s.execute(select(PolicyCase).where(PolicyCase.id == cid))).scalar_one()
    assert row.stage == "secrecy_review" and row.document_version == 2
    leader = [x for x in row.state["signatures"] if x["role"] == "leader"]
    assert [x["version"] for x in leader] == [2]


async def test_returns_are_counted_per_department(live, db):
    await login(live, "jyj_officer")
    cid = await _new_policy(live, "government")
    await post_form(live, f"/policy/{cid}/update_draft", DRAFT, token_from=f"/policy/{cid}")
    await post_form(live, f"/policy/{cid}/submit", {}, token_from=f"/policy/{cid}")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    await post_form(live, f"/policy/{cid}/sign", {"version": "1", "approve": "true"}, token_from=f"/policy/{cid}")
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zfb_head")
    r = await post_form(live, f"/policy/{cid}/office_review", {"approve": "false", "comment": "缺少政策背景解读"},
                        token_from="/policy/queue")
    assert r.status_code in (302, 303)
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "gkb_head")
    index = await live.get("/policy")
    assert '<tr data-returns="区教育局"><td>区教育局</td><td>1</td></tr>' in index.text


async def test_the_drafting_head_cannot_review_its_own_draft_for_the_government_office(live, db):
    """政府办审核 as the drafting department's head (or the open-information office's): refused with the
    reason, nothing changes, and neither the case page nor the queue offers it; the 政府办 head may."""
    await login(live, "jyj_officer")
    cid = await _new_policy(live, "government")
    case = f"/policy/{cid}"
    await post_form(live, f"{case}/update_draft", DRAFT, token_from=case)
    await post_form(live, f"{case}/submit", {}, token_from=case)
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "jyj_head")
    await post_form(live, f"{case}/sign", {"version": "1", "approve": "true"}, token_from=case)
    async with db.session_factory() as s:
        before = await s.get(PolicyCase, cid)
        assert before.stage == "office_review"
        version = before.version
    for who in ("jyj_head", "gkb_head"):
        await post_form(live, "/logout", {}, token_from="/")
        await login(live, who)
        page = await live.get(case)
        assert page.status_code == 200 and 'data-action="office_review"' not in page.text, who
        assert 'data-action="office_review"' not in (await live.get("/policy/queue")).text, who
        r = await post_form(live, f"{case}/office_review", {"approve": "true", "comment": ""}, token_from=case)
        assert r.status_code == 403 and "只有政府办负责人可以审核代拟稿" in r.text, who
        async with db.session_factory() as s:
            row = await s.get(PolicyCase, cid)
            assert (row.stage, row.version) == ("office_review", version), who
    await post_form(live, "/logout", {}, token_from="/")
    await login(live, "zfb_head")
    assert 'data-action="office_review"' in (await live.get(case)).text
    r = await post_form(live, f"{case}/office_review", {"approve": "true", "comment": ""}, token_from=case)
    assert r.status_code in (302, 303)
    async with db.session_factory() as s:
        assert (await s.get(PolicyCase, cid)).stage == "leader_sign_off"
