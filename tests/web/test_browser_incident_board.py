"""The incident board and 督办 in a real browser, as the roles concerned: the grade must be chosen;
the responsible department sees its own cases on the board (and not another's), the 公开办 all of
them, most urgent first; a release on several channels with its link and screenshot; a 督办 issued
from the board gives a 督办通知单 with a feedback deadline, and the department's feedback closes it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright
from sqlmodel import select

from gongkai.clock import CST
from models import Deadline, Letter
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser

PNG = Path(__file__).resolve().parents[2] / "shell" / "data" / "demo-seal.png"


async def _page(browser, refused: Refusals, system: str, username: str):
    page = refused.watch(await (await browser.new_context(locale="zh-CN")).new_page())
    page.set_default_timeout(20000)
    await browser_login(page, system, username)
    return page


async def _register(page, system: str, title: str, grade: str, ago: timedelta) -> str:
    await page.goto(f"{system}/incidents/new")
    await page.fill("#title", title)
    await page.fill("#occurred_at", (datetime.now(CST) - ago).strftime("%Y-%m-%dT%H:%M"))
    await page.fill("#location", "某街道")
    await page.select_option("#grade", grade)
    await page.click("#incident-register")
    await page.wait_for_selector("#incident-stage")
    return re.search(r"IN-\d{4}-\d{6}", await page.inner_text("h1")).group(0)


async def test_the_grade_has_no_default_and_a_missing_one_keeps_the_form(system):
    SHOTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        officer = await _page(browser, refused, system, "wjw_officer")
        await officer.goto(f"{system}/incidents/new")
        assert await officer.input_value("#grade") == ""  # 请选择事件等级, not 特别重大
        await officer.fill("#title", "某商场扶梯故障致人受伤")
        await officer.fill("#location", "某商场")
        await officer.click("#incident-form details summary")
        await officer.fill("#description", "一人轻伤，已送医")
        # the browser itself asks for the grade (required); the server refuses it too, without it
        await officer.locator("#grade").evaluate("e => e.removeAttribute('required')")
        async with officer.expect_response(lambda r: r.url.endswith("/incidents/new")
                                           and r.request.method == "POST") as answer:
            await officer.click("#incident-register")
        assert (await answer.value).status == 400
        assert await officer.inner_text('[data-error-for="grade"]') == "请选择事件等级"
        assert await officer.input_value("#title") == "某商场扶梯故障致人受伤"  # the form is kept
        assert await officer.input_value("#location") == "某商场"
        assert await officer.input_value("#description") == "一人轻伤，已送医"
        await officer.screenshot(path=str(SHOTS / "incident-grade-missing.png"), full_page=True)
        await officer.select_option("#grade", "general")
        await officer.click("#incident-register")
        await officer.wait_for_selector("#incident-stage")
        assert "一般" in await officer.inner_text("main")
        assert refused == []
        await browser.close()


async def test_the_board_shows_the_department_its_own_cases_most_urgent_first(system):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        wjw = await _page(browser, refused, system, "wjw_officer")
        calm = await _register(wjw, system, "某小区停水引发网民关注", "general", timedelta(hours=1))
        late = await _register(wjw, system, "某医院急诊科纠纷", "major", timedelta(hours=6))  # 5 h clock run out
        jyj = await _page(browser, refused, system, "jyj_officer")
        other = await _register(jyj, system, "某学校校车剐蹭", "general", timedelta(minutes=30))

        await wjw.goto(f"{system}/incidents")
        await wjw.click("#board-link")  # the department's officer opens the board (403 before)
        await wjw.wait_for_selector("#incident-board")
        shown = [await c.get_attribute("data-incident") for c in await wjw.locator("[data-incident]").all()]
        assert shown == [late, calm]  # its own, the overdue one first; not the other department's
        await wjw.screenshot(path=str(SHOTS / "incident-board-department.png"), full_page=True)

        office = await _page(browser, refused, system, "gkb_officer")  # the 公开办's officer
        await office.goto(f"{system}/incidents/board")
        shown = [await c.get_attribute("data-incident") for c in await office.locator("[data-incident]").all()]
        assert shown == [late, calm, other]  # overdue first, then least time left (5 h … 48 h clocks)

        supervisor = await _page(browser, refused, system, "duban")
        await supervisor.goto(f"{system}/board")
        row = supervisor.locator(f'tr:has(a:text("{late}"))').filter(has_text="权威信息发布")
        status = await row.locator("[data-status]").inner_text()
        assert re.fullmatch(r"已超期(\d+分钟|1小时\d\d分)", status), status  # by how long, not just 已超期
        assert await row.locator("[data-handler]").inner_text() == "区卫生健康委 · 郑洁"
        await supervisor.screenshot(path=str(SHOTS / "board-overdue-by.png"), full_page=True)
        assert refused == []
        await browser.close()


async def test_a_release_on_several_channels_with_link_and_screenshot(system):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        officer = await _page(browser, refused, system, "wjw_officer")
        cid = await _register(officer, system, "某路段塌陷", "general", timedelta(hours=1))
        await officer.fill("#text", "某路段塌陷已围挡，无人员伤亡，请绕行")
        for channel in ("website", "weibo", "briefing"):
            await officer.check(f"#channel-{channel}")
        await officer.fill("#link", "ftp://www.example.gov.cn/notice")  # a URL to the browser, not a web page
        await officer.fill("#approved_by", "卫健委王主任")
        await officer.set_input_files("#screenshot", str(PNG))
        async with officer.expect_response(lambda r: r.url.endswith("/release")) as answer:
            await officer.click("#do-release")
        assert (await answer.value).status == 400
        message = await officer.inner_text('[data-error-for="link"]')
        assert message == "发布链接应为完整的网址，以 http:// 或 https:// 开头，例如 https://www.gov.cn/zhengce/"
        assert await officer.input_value("#text") == "某路段塌陷已围挡，无人员伤亡，请绕行"
        assert all([await officer.is_checked(f"#channel-{c}") for c in ("website", "weibo", "briefing")])
        assert not await officer.is_checked("#channel-wechat")

        await officer.fill("#link", "https://www.example.gov.cn/xxgk/2026/notice-1.html")
        await officer.set_input_files("#screenshot", str(PNG))
        await officer.click("#do-release")
        await officer.wait_for_selector('[data-release="1"]')
        release = officer.locator('[data-release="1"]')
        assert [await t.inner_text() for t in await release.locator("[data-channel]").all()] == [
            "政府网站", "政务微博", "新闻发布会"]
        assert await release.locator("[data-release-link]").get_attribute("href") == \
            "https://www.example.gov.cn/xxgk/2026/notice-1.html"
        shot = release.locator("img.release-shot")
        assert await shot.evaluate("img => img.complete && img.naturalWidth > 0")  # the picture loads
        served = await officer.request.get(f"{system}/incidents/{cid}/releases/1/screenshot")
        assert served.status == 200 and served.headers["content-type"] == "image/png"
        assert await served.body() == PNG.read_bytes()
        assert "首次发布权威信息（政府网站、政务微博、新闻发布会，" in await officer.inner_text("#timeline")
        await officer.screenshot(path=str(SHOTS / "incident-release-channels.png"), full_page=True)

        outsider = await _page(browser, refused, system, "jyj_officer")  # another department: no picture
        assert (await outsider.request.get(f"{system}/incidents/{cid}/releases/1/screenshot")).status == 403
        assert refused == []
        await browser.close()


async def test_a_supervision_from_the_board_gives_a_notice_and_the_feedback_closes_it(system, db):
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        officer = await _page(browser, refused, system, "wjw_officer")
        cid = await _register(officer, system, "某菜市场疑似禽流感传言", "opinion", timedelta(hours=2))

        supervisor = await _page(browser, refused, system, "duban")
        await supervisor.goto(f"{system}/incidents/board")
        card = supervisor.locator(f'[data-incident="{cid}"]')
        note = card.locator('input[name="note"]')
        await note.fill("网传禽流感，尚未回应，请立即核实并发布权威信息")
        first = await supervisor.get_attribute("#incident-board", "data-rendered")
        # the board refreshes itself every 15 s: what is typed in the 督办 note stays
        await supervisor.locator(f'#incident-board:not([data-rendered="{first}"])').wait_for(timeout=25000)
        assert await note.input_value() == "网传禽流感，尚未回应，请立即核实并发布权威信息"
        await card.locator(f'[data-supervise="{cid}"]').click()
        await supervisor.wait_for_url(f"{system}/incidents/board")
        assert "督办反馈期限" in await supervisor.locator(f'[data-incident="{cid}"]').inner_text()

        await supervisor.goto(f"{system}/incidents/{cid}")
        item = supervisor.locator('[data-supervision="1"]')
        assert await item.get_attribute("data-state") == "open"
        due = await item.locator("[data-feedback-due]").inner_text()
        await item.locator('[data-notice="1"]').click()
        await supervisor.wait_for_selector('[data-letter="supervision"]')
        notice = await supervisor.inner_text('[data-letter="supervision"]')
        for text in ("督办通知单（第1号）", "区卫生健康委：", f"{cid}号突发事件", "督办事项：网传禽流感，尚未回应",
                     "办理要求：", "反馈时限：", "督办人：赵敏"):
            assert text in notice, text
        assert re.search(r"督〔\d{4}〕1号", notice)
        assert due in await supervisor.inner_text("[data-feedback-due]")  # the same deadline on the case
        await supervisor.screenshot(path=str(SHOTS / "incident-supervision-notice.png"), full_page=True)
        pdf = await supervisor.request.get(supervisor.url + ".pdf")
        assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF-")

        await officer.goto(f"{system}/")  # the department is told, and answers on the case page
        assert "【督办】突发事件 某菜市场疑似禽流感传言" in await officer.inner_text("#notifications")
        await officer.goto(f"{system}/incidents/{cid}")
        await officer.fill("#feedback-1", "已于政务微博发布辟谣信息，市场监管部门已现场核查")
        await officer.click('[data-do-feedback="1"]')
        await officer.wait_for_selector('[data-supervision="1"][data-state="met"]')
        assert "按时反馈" in await officer.inner_text('[data-supervision="1"]')
        assert "反馈第1号督办落实情况，在反馈时限内" in await officer.inner_text("#timeline")
        await officer.screenshot(path=str(SHOTS / "incident-supervision-answered.png"), full_page=True)
        assert refused == []
        await browser.close()

    async with db.session_factory() as s:
        clock = await s.get(Deadline, f"{cid}/supervision/1")
        letter = (await s.execute(select(Letter).where(Letter.case_id == cid))).scalar_one()
    assert (clock.rule, clock.state) == ("incident_supervision", "met")
    assert letter.kind == "supervision" and not letter.public
