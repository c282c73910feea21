"""The walk-through of docs/walkthrough.md: each role's home page, in headless Chromium against a
running system with the demo data (`make run`). Does a morning's work through the pages, then signs
in as each person and takes a picture.

    .venv/bin/python scripts/walkthrough.py docs/walkthrough [http://127.0.0.1:8000]
"""
import asyncio
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from playwright.async_api import async_playwright

BASE = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8000"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SHOTS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/walk15"
PDF = b"%PDF-1.4\n% identity\n"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
CST = timezone(timedelta(hours=8))
V1 = "本办法自2027年1月1日起施行。\n第二条 适用于本区城区老旧小区。"
V2 = "本办法自2027年3月1日起施行。\n第二条 适用于本区城区及街道老旧小区。"
MINUTE = "%Y-%m-%dT%H:%M"


def say(*a):
    print(*a, flush=True)


async def client_as(user):
    c = httpx.AsyncClient(base_url=BASE, timeout=60)
    page = await c.get("/login")
    r = await c.post("/login", data={"username": user, "password": "gongkai2026",
                                     "_csrf_token": CSRF.search(page.text).group(1)}, follow_redirects=False)
    assert r.status_code in (302, 303), (user, r.status_code)
    return c


async def post(c, path, data, token_from=None, files=None, ok=(302, 303)):
    page = await c.get(token_from or path.rsplit("/", 1)[0])
    token = CSRF.search(page.text).group(1)
    r = await c.post(path, data={**data, "_csrf_token": token}, files=files, follow_redirects=False)
    if r.status_code not in ok:
        say("!!", path, r.status_code, re.sub(r"\s+", " ", r.text)[:400])
    return r


async def apply(desc, name):
    async with httpx.AsyncClient(base_url=BASE, timeout=60) as c:
        page = await c.get("/apply")
        form = {"applicant_type": "natural_person", "name": name, "id_doc_type": "resident_id",
                "id_doc_number": "11010119900101123X", "phone": "13800000000", "email": "a@example.cn",
                "address": "", "description": desc, "provision_form": "electronic",
                "provision_channel": "email", "form_key": uuid.uuid4().hex,
                "_csrf_token": CSRF.search(page.text).group(1)}
        r = await c.post("/apply", data=form, files={"attachments": ("id.pdf", PDF, "application/pdf")})
        code = re.search(r'id="tracking-code"[^>]*>\s*([A-Z]{2}-\d{4}-\d{6})', r.text).group(1)
        query = re.search(r'id="query-code"[^>]*>\s*([^<\s]+)', r.text).group(1)
        return code, query


async def main():
    run = uuid.uuid4().hex[:4]
    # 1. Two applications online; one goes on to a returned draft and an approved extension.
    code1, q1 = await apply(f"申请公开本区2026年老旧小区改造项目清单（{run}）", "李四")
    code2, _ = await apply(f"申请公开本区2025年义务教育学校招生计划（{run}）", "王小明")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        problems = []

        async def as_user(user):
            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
            page = await ctx.new_page()
            page.set_default_timeout(30000)
            page.on("console", lambda m: problems.append(f"{user}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"{user}: {e}"))
            if user:
                await page.goto(f"{BASE}/login")
                await page.fill("#username", user)
                await page.fill("#password", "gongkai2026")
                async with page.expect_navigation():
                    await page.click("#login-submit")
            return page

        officer = await as_user("gkb_officer")
        await officer.goto(f"{BASE}/inbox")
        await officer.click(f'[data-claim="{code1}"]')
        await officer.wait_for_selector(f'tr[data-case="{code1}"]')
        await officer.goto(f"{BASE}/disclosure/{code1}")
        await officer.click("#do-confirm_receipt")
        await officer.wait_for_selector('#case-stage[data-stage="review"]')
        await officer.click("#do-accept")
        await officer.wait_for_selector('#case-stage[data-stage="handling"]')
        await officer.fill("#request_extension-days", "5")
        await officer.fill("#request_extension-reason", "需调取档案并征求住建局意见")
        await officer.click("#do-request_extension")
        # The draft form was on the page before: wait for the page the request returns to.
        await officer.wait_for_selector('tr[data-action="extension_requested"]')
        await officer.wait_for_selector("#do-draft_reply")
        draft = officer.locator('form[data-action="draft_reply"]')
        await draft.locator("#reason-select").select_option("granted")
        await draft.locator('textarea[name="text"]').fill("经审查，您申请的信息属于公开范围，予以公开。")
        await draft.locator("#do-draft_reply").click()
        await officer.wait_for_selector('#case-stage[data-stage="sign_off"]')

        head = await as_user("gkb_head")
        await head.goto(f"{BASE}/disclosure/{code1}")
        decide = head.locator('form[data-action="decide_extension"]')
        await decide.locator('input[name="approve"][value="true"]').check()
        await decide.locator("#do-decide_extension").click()
        await head.wait_for_selector("#letters [data-letter=extension]")
        await head.screenshot(path=f"{SHOTS}/case-sign-off-office-head.png", full_page=False)
        sign = head.locator('form[data-action="sign_off"]')
        await sign.locator('input[name="approve"][value="false"]').check()
        await sign.locator('input[name="comment"]').fill("请写明公开方式和获取途径")
        await sign.locator("#do-sign_off").click()
        await head.wait_for_selector('#case-stage[data-stage="handling"]')
        say("disclosure:", code1, "returned with extension approved;", code2, "waiting for confirmation")

        # 2. A policy document in the government's name, waiting for the leader.
        jo = await client_as("jyj_officer")
        r = await post(jo, "/policy/new", {"title": f"老旧小区改造实施办法（{run}）", "issuance": "government",
                                          "doc_number": f"示区府发〔2026〕{int(run, 16) % 90 + 10}号",
                                          "form_key": uuid.uuid4().hex}, token_from="/policy")
        pid = r.headers["location"].rsplit("/", 1)[1]
        base_draft = {"plan_text": "解读方案：起草部门负责解读，答记者问一篇", "materials": ["qa"],
                      "materials_text": "问答十条", "disclosure_mode": "proactive", "disclosure_scope": "full",
                      "reasons": "", "channels": "政府网站"}
        await post(jo, f"/policy/{pid}/submit", {**base_draft, "document_text": V1},
                   token_from=f"/policy/{pid}")
        jh = await client_as("jyj_head")
        await post(jh, f"/policy/{pid}/sign", {"version": "1", "approve": "false", "comment": "请扩大适用范围"},
                   token_from=f"/policy/{pid}")
        await post(jo, f"/policy/{pid}/submit", {**base_draft, "document_text": V2},
                   token_from=f"/policy/{pid}")
        await post(jh, f"/policy/{pid}/sign", {"version": "2", "approve": "true", "comment": "同意报送"},
                   token_from=f"/policy/{pid}")
        zfb = await client_as("zfb_head")
        await post(zfb, f"/policy/{pid}/office_review", {"approve": "true", "comment": "审核通过，建议签发"},
                   token_from=f"/policy/{pid}")
        say("policy:", pid, "waits for the leader")

        # 3. An incident of the health commission, supervised from the board.
        wjw = await client_as("wjw_officer")
        now = datetime.now(CST).replace(second=0, microsecond=0)
        r = await post(wjw, "/incidents/new", {"title": f"某小区疑似食物中毒（{run}）", "grade": "general",
                                                "source": "media", "location": "某某街道",
                                                "occurred_at": (now - timedelta(hours=6)).strftime(MINUTE),
                                                "detected_at": (now - timedelta(minutes=350)).strftime(MINUTE),
                                                "description": "网上出现相关帖子", "form_key": uuid.uuid4().hex},
                       token_from="/incidents/new")
        iid = r.headers.get("location", "").rsplit("/", 1)[-1]
        say("incident:", iid, r.status_code)
        duban = await as_user("duban")
        await duban.goto(f"{BASE}/incidents/board")
        form = duban.locator(f'[data-supervise-form="{iid}"]')
        if await form.count():
            await form.locator('input[name="note"]').fill("请立即核实并发布权威信息")
            async with duban.expect_navigation():
                await form.locator("button[type=submit]").click()
            say("supervised from the board:", duban.url)
        await duban.goto(f"{BASE}/incidents/board")
        await duban.screenshot(path=f"{SHOTS}/incident-board-supervisor.png", full_page=False)

        # 4. Each role's home page.
        people = {"gkb_officer": "officer", "jyj_officer": "department-officer", "wjw_officer": "health-officer",
                  "gkb_head": "office-head", "jyj_head": "department-head", "zfb_head": "general-office-head",
                  "leader": "leader", "zhuyao": "principal-head", "duban": "supervisor", "admin": "admin"}
        for user, name in people.items():
            page = await as_user(user)
            await page.goto(f"{BASE}/")
            todo = await page.inner_text("#tasks")
            reading = await page.inner_text("#notifications")
            await page.screenshot(path=f"{SHOTS}/home-{name}.png", full_page=True)
            who = await page.inner_text("#who") if await page.locator("#who").count() else ""
            say(f"\n== {user} ({name}) header: {who}")
            say("  待办:", re.sub(r"\s+", " ", todo)[:400])
            say("  待阅:", re.sub(r"\s+", " ", reading)[:400])
            await page.context.close()

        # 5. The leader's queue; a provisional year; the applicant's /track.
        admin = await as_user("admin")
        await admin.goto(f"{BASE}/calendar/2027")
        await admin.screenshot(path=f"{SHOTS}/calendar-2027.png", full_page=False)
        say("\n== /calendar/2027:", re.sub(r"\s+", " ", await admin.inner_text("main"))[:300])
        leader = await as_user("leader")
        await leader.goto(f"{BASE}/policy/queue")
        await leader.screenshot(path=f"{SHOTS}/leader-queue.png", full_page=False)
        pub = await as_user(None)
        await pub.goto(f"{BASE}/track")
        await pub.fill("#code", code1)
        await pub.fill("#query_code", q1)
        async with pub.expect_navigation():
            await pub.locator("form[action='/track'] button[type=submit]").first.click()
        await pub.screenshot(path=f"{SHOTS}/applicant-track.png", full_page=False)
        say("\n== applicant /track:", re.sub(r"\s+", " ", await pub.inner_text("main"))[:300])
        say("\nproblems:", problems)
        await browser.close()

asyncio.run(main())
