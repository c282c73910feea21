"""Each role sees its own work, in a real browser: the leader's home holds what waits for them (the
sign-off) and none of the officers' tasks; the sign-off queue shows the chain of opinions, keeps the
document collapsed, pre-selects no decision (no choice is refused with its message), and shows what
changed since the version before."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import async_playwright
from sqlmodel import col, select

from models import PolicyCase, Task
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login, login, post_form

pytestmark = pytest.mark.browser

V1 = "本办法自2027年1月1日起施行。\n第二条 适用于本县城区老旧小区。"
V2 = "本办法自2027年3月1日起施行。\n第二条 适用于本县城区及乡镇老旧小区。"
DRAFT = {"plan_text": "解读方案：起草部门负责解读", "materials": ["qa"], "materials_text": "问答十条",
         "disclosure_mode": "proactive", "disclosure_scope": "full", "reasons": "", "channels": "政府网站"}
PDF = b"%PDF-1.4\n% test identity document\n"


async def _as(base: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base)
    r = await login(client, username)
    assert r.status_code in (302, 303), r.text[:300]
    return client


async def _ok(client: httpx.AsyncClient, path: str, data: dict) -> None:
    case = path.rsplit("/", 1)[0]
    r = await post_form(client, path, data, token_from=case)
    assert r.status_code in (302, 303), (path, r.status_code, r.text[:500])


async def _officers_work(base: str) -> None:
    """An application online: it waits for the office's officers to confirm receiving it."""
    async with httpx.AsyncClient(base_url=base) as public:
        page = await public.get("/apply")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on /apply"
        form = {"applicant_type": "natural_person", "name": "王小明", "id_doc_type": "resident_id",
                "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "wang@example.cn",
                "address": "", "description": "申请公开本县2025年义务教育学校招生计划", "provision_form": "electronic",
                "provision_channel": "email", "form_key": uuid.uuid4().hex, "_csrf_token": token.group(1)}
        r = await public.post("/apply", data=form, files={"attachments": ("id.pdf", PDF, "application/pdf")})
        assert r.status_code in (200, 201), r.text[:500]


async def _policy_at_the_leader(base: str) -> str:
    """A document in the government's name: version 1 returned by the department head, version 2
    signed by the head and passed by the general office, so it waits for the leader."""
    officer = await _as(base, "jyj_officer")
    r = await post_form(officer, "/policy/new", {"title": "老旧小区改造实施办法", "issuance": "government",
                                                 "form_key": uuid.uuid4().hex}, token_from="/policy")
    assert r.status_code in (302, 303), r.text[:500]
    cid = r.headers["location"].rsplit("/", 1)[1]
    await _ok(officer, f"/policy/{cid}/update_draft", {**DRAFT, "document_text": V1})
    await _ok(officer, f"/policy/{cid}/submit", {})
    head = await _as(base, "jyj_head")
    await _ok(head, f"/policy/{cid}/sign", {"version": "1", "approve": "false", "comment": "请扩大适用范围"})
    await _ok(officer, f"/policy/{cid}/update_draft", {**DRAFT, "document_text": V2})
    await _ok(officer, f"/policy/{cid}/submit", {})
    await _ok(head, f"/policy/{cid}/sign", {"version": "2", "approve": "true", "comment": "同意报送"})
    office = await _as(base, "zfb_head")
    await _ok(office, f"/policy/{cid}/office_review", {"approve": "true", "comment": "审核通过，建议签发"})
    for c in (officer, head, office):
        await c.aclose()
    return cid


async def test_the_leader_sees_their_sign_off_not_officers_tasks_and_must_choose(system, db):
    await _officers_work(system)
    cid = await _policy_at_the_leader(system)
    async with db.session_factory() as s:
        officers = list((await s.execute(select(Task).where(Task.status == "open",
                                                            col(Task.role).is_(None)))).scalars())
        assert (await s.get(PolicyCase, cid)).stage == "leader_sign_off"
    assert any(t.title.startswith("确认收到申请") for t in officers), "officers have work waiting"

    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
        page.set_default_timeout(20000)
        await browser_login(page, system, "leader")
        await page.goto(f"{system}/")
        todo = await page.inner_text("#tasks")
        assert "领导审签" in todo and "老旧小区改造实施办法" in todo
        for officers_task in ("确认收到申请", "归档", "审核申请", "起草政策文件"):
            assert officers_task not in todo
        await page.screenshot(path=str(SHOTS / "home-leader.png"), full_page=True)
        # Everything is still there for the asking, explicitly.
        await page.goto(f"{system}/inbox?scope=all")
        assert "确认收到申请" in await page.inner_text("#inbox-list")
        await page.goto(f"{system}/inbox")
        assert "确认收到申请" not in await page.inner_text("#inbox-list")

        await page.goto(f"{system}/policy/queue")
        item = page.locator(f'[data-queue-item="{cid}"]')
        assert not await item.locator('[data-part="document"]').is_visible()  # collapsed to its summary line
        chain = await item.locator(".opinions").inner_text()
        assert "部门负责人" in chain and "退回：请扩大适用范围" in chain and "同意：同意报送" in chain
        assert "政府办" in chain and "审核通过，建议签发" in chain
        assert "jyj_head" not in chain  # people, not logins
        assert await item.locator('input[name="approve"]:checked').count() == 0
        await item.locator('input[name="comment"]').fill("同意印发")
        async with page.expect_response(lambda r: r.request.method == "POST") as answer:
            await item.locator(".do-sign").click()
        assert (await answer.value).status == 400
        item = page.locator(f'[data-queue-item="{cid}"]')
        assert "请选择“同意”或“退回”后再提交" in await item.locator('[data-error-for="approve"]').inner_text()
        assert await item.locator('input[name="comment"]').input_value() == "同意印发"  # what was typed is kept
        async with db.session_factory() as s:
            assert (await s.get(PolicyCase, cid)).stage == "leader_sign_off"  # nothing was signed

        # What changed since version 1: one word replaced, two characters added.
        await item.locator("details.changes summary").click()
        changes = item.locator('[data-diff="1-2"] [data-diff-part="document_text"]')
        assert [await x.inner_text() for x in await changes.locator("del").all()] == ["1"]
        assert [await x.inner_text() for x in await changes.locator("ins").all()] == ["3", "及乡镇"]
        await page.screenshot(path=str(SHOTS / "policy-queue-diff.png"), full_page=True)
        await page.goto(f"{system}/policy/{cid}/versions")
        assert await page.locator('[data-diff="1-2"] [data-diff-part="document_text"] ins').count() == 2

        await page.goto(f"{system}/policy/queue")
        item = page.locator(f'[data-queue-item="{cid}"]')
        await item.locator('input[name="approve"][value="true"]').check()
        await item.locator(".do-sign").click()
        await page.wait_for_selector("#queue-empty")
        assert refused == []  # nothing blocked by the Content-Security-Policy, no script error
        await browser.close()
    async with db.session_factory() as s:
        row = await s.get(PolicyCase, cid)
    assert row.stage == "secrecy_review"
    assert [x["version"] for x in row.state["signatures"] if x["role"] == "leader"] == [2]
