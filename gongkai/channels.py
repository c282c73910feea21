"""The channel protocols: e-mail (SMTP) and the group robots of WeCom (企业微信), DingTalk (钉钉)
and Feishu (飞书). Each takes one message and answers with what the channel said, or raises
ChannelFailed (permanent when sending again cannot help: a wrong webhook, a refused signature).

Written here rather than through a notification library: the robots' webhooks are whatever URL the
administrator enters (an office often reaches them through a government-network relay, and the tests
through local receivers), the answer the channel gave is shown to the administrator and on the case's
timeline, and each message carries its idempotency key (`Message-ID`, `Idempotency-Key`). apprise
speaks these protocols but fixes the hosts, reports only true/false and keys nothing; each protocol
here is one JSON POST or one SMTP transaction."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from enum import StrEnum
from urllib.parse import quote_plus, urlsplit

import httpx


class ChannelKind(StrEnum):
    EMAIL = "email"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


KIND_ZH = {
    ChannelKind.EMAIL: "电子邮件", ChannelKind.WECOM: "企业微信群机器人", ChannelKind.DINGTALK: "钉钉群机器人",
    ChannelKind.FEISHU: "飞书群机器人",
}
ROBOTS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU)
SIGNED = (ChannelKind.DINGTALK, ChannelKind.FEISHU)  # robots that may have a signing secret
HTTP_TIMEOUT = 10.0  # seconds; well inside the send activity's own timeout
ANSWER_CHARS = 300
WECOM_TEXT_BYTES = 2048  # WeCom refuses a text message longer than this (UTF-8 bytes)


class ChannelFailed(Exception):
    """The channel did not take the message. `detail` is what it said (shown to administrators).
    `in_doubt`: the message went and no answer came back (a timeout, a dropped connection), so the
    channel may have taken it after all: sending again may repeat it (with the same key)."""

    def __init__(self, detail: str, *, permanent: bool = False, in_doubt: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail[:ANSWER_CHARS]
        self.permanent = permanent
        self.in_doubt = in_doubt


@dataclass(frozen=True)
class Message:
    key: str  # the idempotency key: the same key is the same message
    title: str  # short: a phone notification's first line
    body: str
    link: str = ""
    mobiles: tuple[str, ...] = ()  # people a group robot @-mentions (WeCom, DingTalk)
    names: tuple[str, ...] = ()  # their names, said in the text where a robot cannot @ by mobile (Feishu)


@dataclass(frozen=True)
class Robot:
    kind: ChannelKind
    webhook: str
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    sender: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    security: str = "none"  # none, starttls, ssl
    timeout: float = 20.0


@dataclass(frozen=True)
class Answer:
    detail: str  # what the channel answered, e.g. 'HTTP 200 {"errcode":0,"errmsg":"ok"}'


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def message_id(key: str) -> str:
    """The e-mail's Message-ID, the same for every attempt of one message (RFC 5322: one message,
    one id), so a mailbox that got it once can keep one copy."""
    return f"<{key_digest(key)}@gongkai.invalid>"


def text_of(message: Message) -> str:
    lines = [message.title, message.body]
    if message.link:
        lines.append(f"办理：{message.link}")
    return "\n".join(line for line in lines if line)


def fitted_text(message: Message, limit: int) -> str:
    """The text in at most `limit` UTF-8 bytes: the body is cut (marked "…"), the title and link kept."""
    text = text_of(message)
    if len(text.encode()) <= limit:
        return text
    budget = limit - len(text_of(dataclasses.replace(message, body="…")).encode())
    body = message.body.encode()[:max(budget, 0)].decode(errors="ignore")
    return text_of(dataclasses.replace(message, body=body + "…"))


# -- robots ----------------------------------------------------------------------------------------

def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: HmacSHA256 of "timestamp\\nsecret" under the secret, Base64, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: HmacSHA256 with "timestamp\\nsecret" as the key over nothing, Base64."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_request(robot: Robot, message: Message, now: float | None = None) -> tuple[str, dict]:
    """The URL to POST to and the JSON body, in the robot's own format."""
    now = time.time() if now is None else now
    text = text_of(message)
    url = robot.webhook
    if robot.kind == ChannelKind.WECOM:
        text = fitted_text(message, WECOM_TEXT_BYTES)
        return url, {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": list(message.mobiles)}}
    if robot.kind == ChannelKind.DINGTALK:
        # DingTalk shows an @ only where the text names the mobile.
        mention = " ".join(f"@{m}" for m in message.mobiles)
        body = {"msgtype": "text", "text": {"content": f"{text}\n{mention}" if mention else text},
                "at": {"atMobiles": list(message.mobiles), "isAtAll": False}}
        if robot.secret:
            ts = int(now * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(robot.secret, ts)}"
        return url, body
    if robot.kind == ChannelKind.FEISHU:
        names = "、".join(message.names)
        body: dict = {"msg_type": "text", "content": {"text": f"{text}\n请 {names} 处理" if names else text}}
        if robot.secret:
            ts = int(now)
            body |= {"timestamp": str(ts), "sign": feishu_sign(robot.secret, ts)}
        return url, body
    raise ChannelFailed(f"不支持的群机器人类型：{robot.kind}", permanent=True)


def _robot_answer(kind: ChannelKind, response: httpx.Response) -> Answer:
    said = f"HTTP {response.status_code} {response.text[:200]}".strip()
    if response.status_code == 429 or response.status_code >= 500:
        raise ChannelFailed(said)
    if response.status_code >= 400:
        raise ChannelFailed(said, permanent=True)
    try:
        data = response.json()
    except ValueError:
        raise ChannelFailed(f"无法识别的应答：{said}") from None
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0))) if isinstance(data, dict) else -1
    if code in (0, None):
        return Answer(said)
    # Sent too often (WeCom 45009, DingTalk 130101, Feishu 11232): try again later. Anything else
    # (a wrong key, a refused signature or keyword, a disabled robot) will not change by retrying.
    raise ChannelFailed(said, permanent=code not in {45009, 130101, 11232})


async def post_robot(robot: Robot, message: Message, *, client: httpx.AsyncClient | None = None,
                     now: float | None = None) -> Answer:
    url, body = robot_request(robot, message, now)
    headers = {"Idempotency-Key": key_digest(message.key), "Content-Type": "application/json; charset=utf-8"}
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, trust_env=False) as own:
                response = await own.post(url, content=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
        else:
            response = await client.post(url, content=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
    except (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError) as exc:  # sent; the answer was lost
        raise ChannelFailed(f"已发出，未收到应答：{type(exc).__name__}", in_doubt=True) from None
    except httpx.HTTPError as exc:
        raise ChannelFailed(f"连接失败：{type(exc).__name__}") from None
    return _robot_answer(robot.kind, response)


def check_webhook(kind: str, webhook: str) -> str:
    """A robot's webhook as entered: an http(s) URL with a host. Returns it stripped, or raises ValueError."""
    if kind not in {k.value for k in ROBOTS}:
        raise ValueError("请选择群机器人类型")
    value = webhook.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("Webhook 地址应以 https:// 或 http:// 开头，例如 https://oapi.dingtalk.com/robot/send?access_token=…")
    if len(value) > 1000:
        raise ValueError("Webhook 地址过长")
    return value


def hint(webhook: str) -> str:
    """What is shown of a webhook once it is stored: its host and last four characters."""
    parts = urlsplit(webhook)
    return f"{parts.hostname or ''} …{webhook[-4:]}"


# -- e-mail ----------------------------------------------------------------------------------------

def email_of(smtp: Smtp, to: str, name: str, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = smtp.sender
    mail["To"] = formataddr((name, to)) if name else to
    mail["Message-ID"] = message_id(message.key)
    mail["Date"] = formatdate(usegmt=True)  # RFC 5322 requires it; relays may not add it
    mail.set_content(text_of(message) + "\n\n（本邮件由政务公开办理系统自动发送，请勿直接回复。）\n")
    return mail


class _SMTP(smtplib.SMTP):
    """Knows whether the message itself has gone (DATA): a failure after that is in doubt."""

    data_started = False

    def data(self, msg):  # smtplib's own signature (typeshed types it)
        self.data_started = True
        return super().data(msg)


class _SMTPSSL(_SMTP, smtplib.SMTP_SSL):
    pass


def _send_mail(smtp: Smtp, mail: EmailMessage) -> Answer:
    conn: _SMTP | None = None
    try:
        if smtp.security == "ssl":
            conn = _SMTPSSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
        else:
            conn = _SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with conn:
            if smtp.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
            if smtp.username:
                conn.login(smtp.username, smtp.password)
            refused = conn.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelFailed(f"收件地址被拒绝：{_smtp_reason(exc.recipients)}",
                            permanent=_for_good(exc.recipients)) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelFailed(f"邮件服务器拒绝登录：{exc.smtp_code}", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error
        said = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        raise ChannelFailed(f"SMTP {exc.smtp_code} {said}", permanent=500 <= exc.smtp_code < 600) from None
    except (OSError, smtplib.SMTPException) as exc:
        if conn is not None and conn.data_started:  # the message went; the server's 250 never came back
            raise ChannelFailed(f"邮件已发出，未收到邮件服务器应答：{type(exc).__name__}", in_doubt=True) from None
        raise ChannelFailed(f"连接邮件服务器失败：{type(exc).__name__}") from None
    if refused:
        raise ChannelFailed(f"收件地址被拒绝：{_smtp_reason(refused)}", permanent=_for_good(refused))
    return Answer(f"SMTP 250 已接收（{smtp.host}）")


def _smtp_reason(refused: dict) -> str:
    return "; ".join(f"{code}" for code, _ in refused.values())[:100]


def _for_good(refused: dict) -> bool:
    """A 5xx refusal is final; a 4xx one (greylisting, a full mailbox) may pass on a later attempt."""
    return all(500 <= code < 600 for code, _ in refused.values())


async def send_mail(smtp: Smtp | None, to: str, name: str, message: Message) -> Answer:
    if smtp is None or not smtp.host:
        raise ChannelFailed("未配置邮件服务器（GONGKAI_SMTP_HOST）", permanent=True)
    if not to:
        raise ChannelFailed("收件人未登记电子邮件地址", permanent=True)
    return await asyncio.to_thread(_send_mail, smtp, email_of(smtp, to, name, message))
