"""The issue's browser test, in a real headless chromium: the administrator adds a DingTalk robot
with a signing secret for a department on 消息渠道, sends a test message, and it arrives, signed, at
a local DingTalk receiver; the page shows DingTalk's answer. On the way, a refused form keeps what
was typed but the secret, which is typed again."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.support.receivers import RobotReceiver
from tests.support.server import ARGS, CHROMIUM, SHOTS, Refusals, served_without_temporal
from tests.web.conftest import browser_login

pytestmark = pytest.mark.browser

SECRET = "SEC" + "5a1e" * 16


@pytest.fixture
async def server(db):
    async with served_without_temporal(db) as url:
        yield url


async def test_the_administrator_adds_a_dingtalk_robot_and_its_test_message_arrives(server):
    SHOTS.mkdir(exist_ok=True)
    async with RobotReceiver("dingtalk", secret=SECRET) as robot, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        refused = Refusals()
        page = refused.watch(await browser.new_page(locale="zh-CN"))
        await browser_login(page, server, "admin")
        await page.click("#nav-channels")
        await page.wait_for_selector("#new-robot-form")
        assert await page.title() == "消息渠道 · 公开"

        await page.select_option("#department_id", label="区卫生健康委")
        await page.select_option("#kind", "dingtalk")
        await page.fill("#webhook", robot.url)
        await page.fill("#secret", SECRET)
        await page.click("#new-robot-submit")  # no name: refused beside the field, the rest kept
        error = page.locator('#new-robot-form [data-error-for="name"]')
        assert (await error.inner_text()).startswith("请填写机器人名称")
        assert await page.input_value("#webhook") == robot.url and await page.input_value("#secret") == ""
        assert "签名密钥没有保留" in await page.inner_text("#new-robot-form")
        await page.fill("#name", "卫健委值班群")
        await page.fill("#secret", SECRET)
        await page.click("#new-robot-submit")

        row = page.locator('tr[data-kind="dingtalk"]', has_text="卫健委值班群")
        await row.wait_for()
        assert "已设置签名密钥" in await row.inner_text() and robot.token not in await page.content()
        assert SECRET not in await page.content()
        await row.locator("button[data-test]").click()
        result = page.locator("#test-result")
        await result.wait_for()
        (body,) = await robot.wait_for(1)
        assert await result.get_attribute("data-ok") == "1"
        assert '"errcode":0' in (await page.inner_text("#test-answer")).replace(" ", "")
        assert await row.locator("[data-last-test]").get_attribute("data-last-test") == "ok"
        await row.locator("details[data-edit] summary").click()  # where the webhook is replaced
        await page.screenshot(path=str(SHOTS / "admin-channels.png"), full_page=True)
        assert refused == []
        await browser.close()
    assert robot.refused == [] and body["msgtype"] == "text"
    assert "消息渠道测试" in body["text"]["content"] and "卫健委值班群" in body["text"]["content"]
