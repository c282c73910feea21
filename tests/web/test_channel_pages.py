"""/admin/channels (消息渠道): administrators add, change, disable, test and delete a department's
group robots, and test the mail server. Webhooks and secrets are sealed and never shown again;
every refusal is a 4xx beside its field with what was typed kept (the secret excepted)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape

from litestar.testing import AsyncTestClient
from sqlalchemy import func
from sqlmodel import col, select

from gongkai.senders import channel_ring, open_robot
from gongkai.settings import load_settings
from models import AuditEvent, Department, DepartmentChannel, User
from tests.support.receivers import RobotReceiver, SmtpReceiver
from tests.support.server import free_port
from tests.web.conftest import csrf, login, post_form
from web.app import create_app

PAGE = "/admin/channels"
WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=a1b2c3d4e5f6TOKEN9876"
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


async def _dept(db, code: str = "WJW") -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(Department.id).where(Department.code == code))).scalar_one()


async def _robots(db) -> list[DepartmentChannel]:
    async with db.session_factory() as s:
        return list((await s.execute(select(DepartmentChannel).order_by(col(DepartmentChannel.id)))).scalars())


async def _add(client, db, **changes) -> DepartmentChannel:
    form = {"department_id": str(await _dept(db)), "kind": "dingtalk", "name": "卫健委值班群", "webhook": WEBHOOK,
            "secret": SECRET, **changes}
    r = await post_form(client, PAGE, form)
    assert r.status_code == 303, r.text[:500]
    return (await _robots(db))[-1]


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'data-error-for="{field}">([^<]+)<', html)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def _answer(html: str) -> str:
    found = re.search(r'id="test-answer">([^<]+)<', html)
    assert found, "no answer shown"
    return unescape(found.group(1))


async def test_a_robot_is_sealed_and_never_shown_again(client, db):
    await login(client, "admin")
    row = await _add(client, db)
    assert all(clear not in row.endpoint for clear in (WEBHOOK.encode(), b"a1b2c3d4", SECRET.encode()))
    robot = open_robot(channel_ring(load_settings()), row.kind, row.endpoint)
    assert robot is not None and (robot.webhook, robot.secret) == (WEBHOOK, SECRET)
    assert row.hint == "oapi.dingtalk.com …9876" and row.created_by == "admin" and row.active

    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "oapi.dingtalk.com …9876" in page.text and "已设置签名密钥" in page.text and "未测试" in page.text
    assert "access_token=a1" not in page.text
    assert "a1b2c3d4" not in page.text and SECRET not in page.text
    async with db.session_factory() as s:  # the demo's WJW staff have no mobile: the robot cannot @ them
        staff = (await s.execute(select(func.count()).select_from(User).where(
            User.department_id == row.department_id, col(User.active)))).scalar_one()
    assert f'data-unreachable="{row.department_id}">本部门有 {staff} 人未登记手机号码' in page.text
    async with db.session_factory() as s:
        event = (await s.execute(select(AuditEvent).where(AuditEvent.action == "channel_created"))).scalar_one()
    assert event.case_id == "admin" and "卫健委值班群" in event.summary and "已设置签名密钥" in event.summary
    assert "a1b2c3d4" not in str(event.detail) and SECRET not in str(event.detail) and event.detail["signed"] is True


async def test_bad_input_is_refused_beside_its_field_and_keeps_what_was_typed(client, db):
    await login(client, "admin")
    dept = str(await _dept(db))
    good = {"department_id": dept, "kind": "dingtalk", "name": "卫健委值班群", "webhook": WEBHOOK, "secret": SECRET}

    r = await post_form(client, PAGE, {**good, "webhook": "oapi.dingtalk.com/robot/send?access_token=xyz"})
    assert r.status_code == 400 and "https://" in _field_error(r.text, "webhook")
    assert 'value="卫健委值班群"' in r.text and 'value="oapi.dingtalk.com/robot/send?access_token=xyz"' in r.text
    assert f'<option value="{dept}" selected>' in r.text and '<option value="dingtalk" selected>' in r.text
    assert SECRET not in r.text and "签名密钥没有保留" in r.text  # the secret is typed again, and the page says so

    r = await post_form(client, PAGE, {**good, "name": "  "})
    assert r.status_code == 400 and _field_error(r.text, "name").startswith("请填写机器人名称")
    r = await post_form(client, PAGE, {**good, "webhook": ""})
    assert r.status_code == 400 and "请填写 Webhook" in _field_error(r.text, "webhook")
    r = await post_form(client, PAGE, {**good, "kind": "sms"})
    assert r.status_code == 400 and "类型" in _field_error(r.text, "kind")
    r = await post_form(client, PAGE, {**good, "department_id": ""})
    assert r.status_code == 400 and _field_error(r.text, "department_id") == "请选择部门"
    r = await post_form(client, PAGE, {**good, "secret": "not-a-dingtalk-secret"})
    assert r.status_code == 400 and "SEC 开头" in _field_error(r.text, "secret")
    r = await post_form(client, PAGE, {**good, "kind": "wecom", "webhook": "https://qyapi.weixin.qq.com/cgi-bin/"
                                       "webhook/send?key=k1"})
    assert r.status_code == 400 and "没有签名密钥" in _field_error(r.text, "secret")
    r = await post_form(client, PAGE, {**good, "department_id": "", "kind": "", "name": "", "webhook": "robot"})
    assert r.status_code == 400  # every refused field is said at once
    assert [bool(_field_error(r.text, f)) for f in ("department_id", "kind", "name", "webhook")] == [True] * 4
    assert await _robots(db) == []

    await _add(client, db)
    r = await post_form(client, PAGE, {**good, "name": "又一个"})
    assert r.status_code == 400 and "已登记了这个 Webhook" in _field_error(r.text, "webhook")
    assert len(await _robots(db)) == 1


async def test_only_administrators_and_only_with_the_csrf_token(client, db):
    await login(client, "wjw_officer")
    assert (await client.get(PAGE)).status_code == 403
    token = await csrf(client, "/")
    r = await client.post(PAGE, data={"department_id": str(await _dept(db)), "kind": "dingtalk", "name": "x",
                                      "webhook": WEBHOOK, "_csrf_token": token})
    assert r.status_code == 403 and await _robots(db) == []

    await post_form(client, "/logout", {}, token_from="/")
    await login(client, "admin")
    r = await client.post(PAGE, data={"department_id": str(await _dept(db)), "kind": "dingtalk", "name": "x",
                                      "webhook": WEBHOOK})
    assert r.status_code == 403 and await _robots(db) == []
    assert "/admin/channels" in (await client.get("/")).text  # in the administrators' navigation


async def test_a_test_message_shows_the_channels_answer(client, db):
    await login(client, "admin")
    closed = f"http://127.0.0.1:{free_port()}/robot/send?access_token=nobody"  # nothing listens there
    row = await _add(client, db, kind="wecom", name="无人接收", webhook=closed, secret="")
    r = await post_form(client, f"{PAGE}/{row.id}/test", {}, token_from=PAGE)
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?tested={row.id}#channel-{row.id}"
    page = await client.get(r.headers["location"])
    assert 'id="test-result"' in page.text and 'data-ok="0"' in page.text
    assert "连接失败：ConnectError" in page.text and 'data-last-test="failed"' in page.text
    (row,) = await _robots(db)
    assert row.last_test_at is not None and row.last_test_answer == "失败：连接失败：ConnectError"
    async with db.session_factory() as s:
        event = (await s.execute(select(AuditEvent).where(AuditEvent.action == "channel_tested"))).scalar_one()
    assert event.detail["ok"] is False and "nobody" not in str(event.detail) and "无人接收" in event.summary


async def test_replace_disable_enable_and_delete_are_audited(client, db):
    await login(client, "admin")
    row = await _add(client, db)
    edit = f"{PAGE}/{row.id}"
    r = await post_form(client, edit, {"name": "卫健委值班群", "webhook": "ftp://x", "secret": ""}, token_from=PAGE)
    assert r.status_code == 400 and "https://" in _field_error(r.text, "webhook") and 'value="ftp://x"' in r.text
    assert f'data-edit="{row.id}"' in r.text and re.search(rf'<details open data-edit="{row.id}"', r.text)

    new = "https://oapi.dingtalk.com/robot/send?access_token=NEWTOKEN5555"
    r = await post_form(client, edit, {"name": "卫健委应急群", "webhook": new, "secret": ""}, token_from=PAGE)
    assert r.status_code == 303
    (row,) = await _robots(db)
    robot = open_robot(channel_ring(load_settings()), row.kind, row.endpoint)
    assert robot is not None and (robot.webhook, robot.secret) == (new, SECRET)  # the secret is kept
    assert row.name == "卫健委应急群" and row.hint == "oapi.dingtalk.com …5555"
    r = await post_form(client, edit, {"name": "卫健委应急群", "clear_secret": "on"}, token_from=PAGE)
    (row,) = await _robots(db)
    robot = open_robot(channel_ring(load_settings()), row.kind, row.endpoint)
    assert robot is not None and (robot.webhook, robot.secret) == (new, "")

    await post_form(client, f"{edit}/active", {"active": "0"}, token_from=PAGE)
    assert not (await _robots(db))[0].active
    assert 'data-state="disabled"' in (await client.get(PAGE)).text
    await post_form(client, f"{edit}/active", {"active": "1"}, token_from=PAGE)
    assert (await _robots(db))[0].active
    r = await post_form(client, f"{edit}/delete", {}, token_from=PAGE)
    assert r.status_code == 303 and await _robots(db) == []
    assert (await post_form(client, f"{edit}/test", {}, token_from=PAGE)).status_code == 404

    async with db.session_factory() as s:
        events = list((await s.execute(select(AuditEvent).where(AuditEvent.case_id == "admin").order_by(
            col(AuditEvent.id)))).scalars())
    assert [e.action for e in events] == ["channel_created", "channel_updated", "channel_updated",
                                         "channel_disabled", "channel_enabled", "channel_deleted"]
    assert events[1].detail["changed"] == ["name", "webhook"] and events[2].detail["changed"] == ["secret"]
    assert all("NEWTOKEN" not in str(e.detail) and "NEWTOKEN" not in e.summary for e in events)


async def test_without_a_mail_server_the_page_says_how_to_configure_one(client, db):
    await login(client, "admin")
    page = await client.get(PAGE)
    assert 'id="mail-unconfigured"' in page.text and "GONGKAI_SMTP_HOST" in page.text
    r = await post_form(client, f"{PAGE}/mail-test", {"to": "not an address"}, token_from=PAGE)
    assert r.status_code == 400 and "格式不正确" in _field_error(r.text, "to") and 'value="not an address"' in r.text
    r = await post_form(client, f"{PAGE}/mail-test", {"to": "admin@example.gov.cn"}, token_from=PAGE)
    assert r.status_code == 400 and "GONGKAI_SMTP_HOST" in _field_error(r.text, "to")
    assert 'value="admin@example.gov.cn"' in r.text


async def test_a_test_message_reaches_the_robot_and_the_answer_is_shown(client, db):
    await login(client, "admin")
    async with RobotReceiver("dingtalk", secret=SECRET) as robot:
        row = await _add(client, db, webhook=robot.url)
        async with db.session_factory() as s:  # a delivery gave up on it earlier
            stored = await s.get(DepartmentChannel, row.id)
            assert stored is not None
            stored.failing_since, stored.last_error = datetime(2026, 12, 1, 2, tzinfo=UTC), "HTTP 500 busy"
            await s.commit()
        assert 'data-failing' in (await client.get(PAGE)).text
        r = await post_form(client, f"{PAGE}/{row.id}/test", {}, token_from=PAGE)
        (body,) = await robot.wait_for(1)
        page = await client.get(r.headers["location"])
    assert body["msgtype"] == "text" and "消息渠道测试" in body["text"]["content"]
    assert "卫健委值班群" in body["text"]["content"] and "办理：" in body["text"]["content"]
    assert robot.refused == [] and 'data-ok="1"' in page.text and "errcode" in page.text
    assert _answer(page.text).startswith("HTTP 200 {")
    (row,) = await _robots(db)
    assert row.last_test_answer.startswith("成功：HTTP 200") and row.failing_since is None
    assert 'data-failing' not in page.text and "上次错误：HTTP 500 busy" in page.text


async def test_a_refused_signature_shows_the_channels_own_answer(client, db):
    await login(client, "admin")
    async with RobotReceiver("dingtalk", secret=SECRET) as robot:
        row = await _add(client, db, webhook=robot.url, secret="SEC" + "0" * 64)
        r = await post_form(client, f"{PAGE}/{row.id}/test", {}, token_from=PAGE)
        page = await client.get(r.headers["location"])
    assert robot.received == [] and robot.refused == ["sign not match"]
    answer = _answer(page.text)
    assert 'data-ok="0"' in page.text and "310000" in answer and "sign not match" in answer


async def test_a_test_email_shows_the_servers_answer(db, clock):
    async with SmtpReceiver(refuse=["nobody@example.gov.cn"]) as smtp:
        settings = replace(load_settings(), smtp_host="127.0.0.1", smtp_port=smtp.port,
                           smtp_sender="gongkai@example.gov.cn", smtp_password="never-shown")
        app = create_app(settings, session_factory=db.session_factory, connect_temporal=False, clock=clock)
        async with AsyncTestClient(app=app) as client:
            await login(client, "admin")
            page = await client.get(PAGE)
            assert "127.0.0.1:" in page.text and "mail-unconfigured" not in page.text and "never-shown" not in page.text
            r = await post_form(client, f"{PAGE}/mail-test", {"to": "admin@example.gov.cn"}, token_from=PAGE)
            (mail,) = await smtp.wait_for(1)
            refused = await post_form(client, f"{PAGE}/mail-test", {"to": "nobody@example.gov.cn"}, token_from=PAGE)
    assert r.status_code == 200 and 'id="mail-result"' in r.text and "SMTP 250" in r.text
    assert mail["To"] == "admin@example.gov.cn" and mail["Subject"] == "消息渠道测试"
    assert refused.status_code == 200 and "收件地址被拒绝：550" in refused.text and 'data-ok="0"' in refused.text
    async with db.session_factory() as s:
        events = list((await s.execute(select(AuditEvent).where(AuditEvent.action == "mail_tested"))).scalars())
    assert [e.detail["ok"] for e in events] == [True, False]
    assert all("example.gov.cn" not in str(e.detail) + e.summary for e in events)  # no address in the audit


async def test_nothing_secret_or_personal_is_logged(client, db, caplog):
    caplog.set_level(logging.DEBUG)
    await login(client, "admin")
    async with RobotReceiver("dingtalk", secret=SECRET) as robot:
        row = await _add(client, db, webhook=robot.url)
        await post_form(client, f"{PAGE}/{row.id}/test", {}, token_from=PAGE)
        await robot.wait_for(1)
    await post_form(client, PAGE, {"department_id": str(await _dept(db)), "kind": "dingtalk", "name": "x",
                                   "webhook": "bad " + robot.token, "secret": SECRET})
    await post_form(client, "/account/contacts", {"email": "admin@example.gov.cn", "mobile": "13712345678"},
                    token_from="/account")
    logged = "\n".join(f"{r.getMessage()} {r.msg!r} {r.args!r}" for r in caplog.records)
    assert "channel_created" in logged and "channel_tested" in logged and "contacts_changed" in logged
    for value in (robot.token, SECRET, "admin@example.gov.cn", "13712345678"):
        assert value not in logged, value
