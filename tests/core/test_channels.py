"""The channel protocols (gongkai/channels.py) against real receivers started here: each group robot
takes our payload in its own format (DingTalk and Feishu checking the signature), @-mentions arrive,
a busy channel is worth retrying and a refusal is not; e-mail arrives parsed at an SMTP server with
its Message-ID derived from the message's key."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import quote_plus, unquote_plus, urlsplit

import httpx
import pytest

from gongkai.channels import (
    ChannelFailed,
    ChannelKind,
    Message,
    Robot,
    Smtp,
    check_webhook,
    dingtalk_sign,
    hint,
    key_digest,
    message_id,
    post_robot,
    send_mail,
)
from tests.support.receivers import RobotReceiver, SmtpReceiver, mentioned

MOBILE = "13800138000"
MESSAGE = Message(
    key="deadline:DR-2026-000123/reply/rung2/user7", title="【即将超期】DR-2026-000123 答复期限",
    body="依申请公开 DR-2026-000123 的答复期限为 12月4日，剩 2 个工作日。您是承办人。",
    link="https://gk.example.gov.cn/disclosure/DR-2026-000123", mobiles=(MOBILE,), names=("王晓明",))
SENDER = "gongkai@example.gov.cn"


def robot_of(receiver: RobotReceiver, secret: str | None = None) -> Robot:
    return Robot(ChannelKind(receiver.kind), receiver.url, receiver.secret if secret is None else secret)


def smtp_of(receiver: SmtpReceiver) -> Smtp:
    return Smtp(receiver.host, receiver.port, SENDER, timeout=5.0)


# -- group robots ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "secret"), [
    ("wecom", ""), ("dingtalk", ""), ("dingtalk", "SEC0f3c9a4be2d7"), ("feishu", ""), ("feishu", "fs-4b2d7c9a0e"),
])
async def test_each_robot_accepts_our_payload(kind: str, secret: str):
    async with RobotReceiver(kind, secret=secret) as robot:
        answer = await post_robot(robot_of(robot), MESSAGE)
        [body] = await robot.wait_for(1)
    assert robot.refused == [] and robot.requests == 1
    assert answer.detail.startswith("HTTP 200 ")
    text = body["text"]["content"] if kind != "feishu" else body["content"]["text"]
    assert text.startswith(MESSAGE.title) and MESSAGE.body in text and MESSAGE.link in text
    assert robot.keys == [key_digest(MESSAGE.key)]  # the Idempotency-Key header


async def test_the_same_message_carries_the_same_idempotency_key():
    async with RobotReceiver("wecom") as robot:
        await post_robot(robot_of(robot), MESSAGE)
        await post_robot(robot_of(robot), MESSAGE)
        await post_robot(robot_of(robot), Message("another key", "标题", "正文"))
        await robot.wait_for(3)
    assert robot.keys[0] == robot.keys[1] != robot.keys[2]


async def test_wecom_mentions_by_mobile():
    async with RobotReceiver("wecom") as robot:
        await post_robot(robot_of(robot), MESSAGE)
        [body] = await robot.wait_for(1)
    assert body["text"]["mentioned_mobile_list"] == [MOBILE]
    assert mentioned(body) == [MOBILE]


async def test_dingtalk_mentions_by_mobile_and_names_the_mobile_in_the_text():
    async with RobotReceiver("dingtalk", secret="SECabc") as robot:
        await post_robot(robot_of(robot), MESSAGE)
        [body] = await robot.wait_for(1)
    assert body["at"] == {"atMobiles": [MOBILE], "isAtAll": False}
    assert f"@{MOBILE}" in body["text"]["content"]  # DingTalk shows the @ only where the text says it


async def test_feishu_names_the_people_told():
    async with RobotReceiver("feishu") as robot:
        await post_robot(robot_of(robot), MESSAGE)
        [body] = await robot.wait_for(1)
    assert "王晓明" in body["content"]["text"]


@pytest.mark.parametrize(("kind", "said"), [
    ("dingtalk", '"errcode": 310000'), ("feishu", '"code": 19021'),
])
async def test_a_wrong_secret_is_refused_for_good_with_the_channels_answer(kind: str, said: str):
    async with RobotReceiver(kind, secret="the-right-secret") as robot:
        with pytest.raises(ChannelFailed) as failed:
            await post_robot(robot_of(robot, secret="a-wrong-secret"), MESSAGE)
    assert failed.value.permanent
    assert said in failed.value.detail and failed.value.detail.startswith("HTTP 200")
    assert robot.received == [] and len(robot.refused) == 1


async def test_a_missing_secret_is_refused_where_the_robot_signs():
    async with RobotReceiver("dingtalk", secret="SECabc") as robot:
        with pytest.raises(ChannelFailed) as failed:
            await post_robot(robot_of(robot, secret=""), MESSAGE)
    assert failed.value.permanent and "sign not match" in failed.value.detail


async def test_a_signature_older_than_an_hour_is_refused():
    async with RobotReceiver("feishu", secret="fs-secret") as robot:
        with pytest.raises(ChannelFailed) as failed:
            await post_robot(robot_of(robot), MESSAGE, now=time.time() - 2 * 3600)
    assert failed.value.permanent and '"code": 19021' in failed.value.detail
    [reason] = robot.refused
    assert reason.endswith("not within one hour")


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
async def test_an_unknown_webhook_token_is_refused_for_good(kind: str):
    async with RobotReceiver(kind) as robot:
        wrong = robot.url.replace(robot.token, "0" * len(robot.token))
        with pytest.raises(ChannelFailed) as failed:
            await post_robot(Robot(ChannelKind(kind), wrong), MESSAGE)
    assert failed.value.permanent and robot.refused == ["unknown token"]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
async def test_a_server_error_is_worth_retrying(kind: str):
    async with RobotReceiver(kind, fail_first=1) as robot:
        with pytest.raises(ChannelFailed) as failed:
            await post_robot(robot_of(robot), MESSAGE)
        assert not failed.value.permanent and failed.value.detail.startswith("HTTP 500")
        await post_robot(robot_of(robot), MESSAGE)  # the next attempt gets through
        await robot.wait_for(1)
    assert robot.requests == 2


async def test_a_robot_that_cannot_be_reached_is_worth_retrying():
    with RobotReceiver("wecom") as robot:
        url = robot.url
    with pytest.raises(ChannelFailed) as failed:
        await post_robot(Robot(ChannelKind.WECOM, url), MESSAGE)  # nobody listens there any more
    assert not failed.value.permanent and "连接失败" in failed.value.detail


async def test_a_long_message_still_fits_wecoms_limit_and_keeps_its_link():
    long = Message("long", "【汇总】今日待办", "、".join(f"DR-2026-{n:06d} 剩 2 个工作日" for n in range(200)),
                   link="https://gk.example.gov.cn/tasks")
    async with RobotReceiver("wecom") as robot:
        await post_robot(robot_of(robot), long)
        [body] = await robot.wait_for(1)
    content = body["text"]["content"]
    assert len(content.encode()) <= 2048 and content.startswith(long.title) and content.endswith(long.link)
    assert "…" in content


def test_a_webhook_is_an_http_url():
    assert check_webhook("dingtalk", " https://oapi.dingtalk.com/robot/send?access_token=abc ") == \
        "https://oapi.dingtalk.com/robot/send?access_token=abc"
    for kind, url in [("dingtalk", "oapi.dingtalk.com/robot/send"), ("wecom", "ftp://x/y"), ("email", "https://x/y"),
                      ("wecom", "https://x/a b")]:
        with pytest.raises(ValueError):
            check_webhook(kind, url)
    assert hint("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd1234") == "qyapi.weixin.qq.com …1234"


# -- e-mail ----------------------------------------------------------------------------------------

async def test_an_email_arrives_with_subject_sender_receiver_link_and_a_message_id_from_its_key():
    async with SmtpReceiver() as smtp:
        answer = await send_mail(smtp_of(smtp), "wangxm@example.gov.cn", "王晓明", MESSAGE)
        [mail] = await smtp.wait_for(1)
    assert answer.detail.startswith("SMTP 250")
    assert mail["Subject"] == MESSAGE.title
    assert mail["From"] == SENDER
    assert mail["To"] == "王晓明 <wangxm@example.gov.cn>"
    assert mail["Message-ID"] == message_id(MESSAGE.key)
    assert mail["Date"] is not None  # RFC 5322: every message says when it was written
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert MESSAGE.body in text and MESSAGE.link in text
    assert smtp.envelopes == [(SENDER, ["wangxm@example.gov.cn"])]


async def test_the_same_key_gives_the_same_message_id():
    async with SmtpReceiver() as smtp:
        await send_mail(smtp_of(smtp), "a@example.gov.cn", "", MESSAGE)
        await send_mail(smtp_of(smtp), "a@example.gov.cn", "", MESSAGE)
        await send_mail(smtp_of(smtp), "a@example.gov.cn", "", Message("another key", "标题", "正文"))
        first, again, other = await smtp.wait_for(3)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["To"] == "a@example.gov.cn"


async def test_no_mail_server_is_a_permanent_failure():
    for smtp in (None, Smtp("")):
        with pytest.raises(ChannelFailed) as failed:
            await send_mail(smtp, "a@example.gov.cn", "", MESSAGE)
        assert failed.value.permanent and "GONGKAI_SMTP_HOST" in failed.value.detail


async def test_no_address_is_a_permanent_failure():
    async with SmtpReceiver() as smtp:
        with pytest.raises(ChannelFailed) as failed:
            await send_mail(smtp_of(smtp), "", "王晓明", MESSAGE)
    assert failed.value.permanent and smtp.messages == []


async def test_a_refused_recipient_is_a_permanent_failure():
    async with SmtpReceiver(refuse=["gone@example.gov.cn"]) as smtp:
        with pytest.raises(ChannelFailed) as failed:
            await send_mail(smtp_of(smtp), "gone@example.gov.cn", "", MESSAGE)
    assert failed.value.permanent and "550" in failed.value.detail
    assert "gone@" not in failed.value.detail  # the address is personal: not in what is shown and logged
    assert smtp.messages == []


async def test_a_recipient_deferred_by_greylisting_is_worth_retrying():
    async with SmtpReceiver(greylist=["new@example.gov.cn"]) as smtp:
        with pytest.raises(ChannelFailed) as failed:
            await send_mail(smtp_of(smtp), "new@example.gov.cn", "", MESSAGE)
        assert not failed.value.permanent and "450" in failed.value.detail
        await send_mail(smtp_of(smtp), "new@example.gov.cn", "", MESSAGE)  # the next attempt is taken
        [mail] = await smtp.wait_for(1)
    assert mail["To"] == "new@example.gov.cn"


async def test_a_mail_server_that_cannot_be_reached_is_worth_retrying():
    with SmtpReceiver() as smtp:
        server = smtp_of(smtp)
    with pytest.raises(ChannelFailed) as failed:
        await send_mail(server, "a@example.gov.cn", "", MESSAGE)
    assert not failed.value.permanent


# -- the receivers check what they are sent (else the tests above would prove little) --------------

async def _post(url: str, body: object) -> dict:
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(url, json=body)
    assert response.status_code == 200  # the services refuse with HTTP 200 and a code
    return response.json()


@pytest.mark.parametrize(("kind", "body", "code"), [
    ("wecom", {"msgtype": "text", "text": {"content": ""}}, 44004),
    ("wecom", {"msgtype": "markdown", "text": {"content": "x"}}, 40008),
    ("wecom", {"msgtype": "text", "text": {"content": "x", "mentioned_mobile_list": MOBILE}}, 40058),
    ("dingtalk", {"msgtype": "text", "text": {"text": "x"}}, 40035),
    ("dingtalk", {"msgtype": "text", "text": {"content": "x"}, "at": {"atMobiles": MOBILE}}, 40035),
    ("feishu", {"msgtype": "text", "content": {"text": "x"}}, 19002),
    ("feishu", {"msg_type": "text", "text": {"content": "x"}}, 19002),
])
async def test_the_receivers_refuse_another_format(kind: str, body: dict, code: int):
    async with RobotReceiver(kind) as robot:
        answer = await _post(robot.url, body)
    assert answer.get("errcode", answer.get("code")) == code
    assert robot.received == [] and len(robot.refused) == 1


async def test_the_dingtalk_receiver_wants_the_sign_url_encoded():
    secret = "SECabc"
    async with RobotReceiver("dingtalk", secret=secret) as robot:
        now = int(time.time() * 1000)  # a timestamp whose Base64 signature has a "+", which must be encoded
        ts = next(t for t in range(now, now + 1000) if "+" in unquote_plus(dingtalk_sign(secret, t)))
        sign = unquote_plus(dingtalk_sign(secret, ts))
        answer = await _post(f"{robot.url}&timestamp={ts}&sign={sign}", {"msgtype": "text", "text": {"content": "x"}})
        assert answer == {"errcode": 310000, "errmsg": "sign not match"}
        answer = await _post(f"{robot.url}&timestamp={ts}&sign={quote_plus(sign)}",
                             {"msgtype": "text", "text": {"content": "x"}})
        assert answer == {"errcode": 0, "errmsg": "ok"}


async def test_the_receivers_leave_no_thread_and_no_port_behind():
    before = set(threading.enumerate())
    async with SmtpReceiver() as smtp, RobotReceiver("wecom") as robot:
        await send_mail(smtp_of(smtp), "a@example.gov.cn", "", MESSAGE)
        await post_robot(robot_of(robot), MESSAGE)
        ports = [smtp.port, int(urlsplit(robot.url).port or 0)]
    assert [t for t in threading.enumerate() if t not in before and not t.name.startswith("asyncio_")] == []
    for port in ports:  # free again: nothing listens there
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
