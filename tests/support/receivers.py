"""Real receivers for the channels, started by the tests: an SMTP server (aiosmtpd) that parses what it
is sent, and a local HTTP server per group robot (WeCom, DingTalk, Feishu) that checks the payload in
the robot's own format (and DingTalk's or Feishu's signature when a secret is set) and answers as the
real service does.

    async with RobotReceiver("dingtalk", secret="SEC…") as robot:   # robot.url is the webhook
        ...
        await robot.wait_for(1)                                     # robot.received[0] is the JSON body

    async with SmtpReceiver() as smtp:                              # smtp.port on 127.0.0.1
        ...
        await smtp.wait_for(1)                                      # smtp.messages[0] is an EmailMessage

Both listen on 127.0.0.1 on a port the system chose, and stop their threads and sockets on exit.
`wait_for` polls (briefly sleeping between looks) and fails with what did arrive on timeout."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

POLL_SECONDS = 0.02
ONE_HOUR = 3600


class _Pace:
    """A slow receiver, and one that can keep its answers back: each accepted message is answered
    after `delay` seconds, and from `hold()` on not before `release()`. A fault test kills the
    sender while it waits: the receiver has the message, the sender never heard so. `held` lists
    the key of each message kept back; `holding` counts those still waiting."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.held: list[str] = []
        self.holding = 0
        self._hold = False
        self._released = threading.Event()
        self._lock = threading.Lock()

    def hold(self) -> None:
        """Keep back the answer to every message taken from now on, until release()."""
        with self._lock:
            self._hold = True

    def release(self) -> None:
        """Answer the messages kept back, and keep none back from now on."""
        with self._lock:
            self._hold = False
            self._released.set()

    def _holds(self, key: str) -> bool:
        with self._lock:
            if not self._hold:
                return False
            self.held.append(key)
            self.holding += 1
            return True

    def _done(self) -> None:
        with self._lock:
            self.holding -= 1

    def wait(self, key: str) -> None:
        """Between taking a message and answering it (in a request thread)."""
        if self.delay:
            time.sleep(self.delay)
        if self._holds(key):
            self._released.wait()
            self._done()

    async def wait_async(self, key: str) -> None:
        """Between taking a message and answering it (in the SMTP server's loop)."""
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._holds(key):
            while not self._released.is_set():
                await asyncio.sleep(POLL_SECONDS)
            self._done()


def first_per_key(keys: Iterable[str], items: Iterable[Any]) -> dict[str, Any]:
    """One copy of each message, the first, by its idempotency key: what a receiver that honours
    the key keeps."""
    kept: dict[str, Any] = {}
    for key, item in zip(keys, items, strict=True):
        kept.setdefault(key, item)
    return kept


async def _wait(count: Callable[[], int], n: int, timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while count() < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {n}, got {count()} within {timeout} s: {what()}")
        await asyncio.sleep(POLL_SECONDS)


# -- e-mail ----------------------------------------------------------------------------------------

class _Mailbox:
    """The aiosmtpd handler: refuses the listed recipients (550, as a server without that mailbox
    does), defers the greylisted ones the first time (450, as a greylisting server does) and keeps
    every accepted message, parsed."""

    def __init__(self, refuse: Iterable[str], greylist: Iterable[str] = (), pace: _Pace | None = None) -> None:
        self.refuse = {address.lower() for address in refuse}
        self.greylist = {address.lower() for address in greylist}
        self.pace = pace or _Pace()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO) of each message

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if address.lower() in self.greylist:
            self.greylist.discard(address.lower())
            return "450 4.2.0 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        self.messages.append(message)
        await self.pace.wait_async(str(message["Message-ID"] or ""))
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """Binds port 0 (the system picks a free one) and learns the port before aiosmtpd's own start
    check connects to it."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpReceiver:
    """An SMTP server on 127.0.0.1:`port` that keeps what it receives in `messages` (parsed
    `EmailMessage`s; `envelopes` holds each one's sender and recipients). Recipients in `refuse` are
    refused with 550; those in `greylist` are deferred with 450 once, then accepted. Slow answers:
    `delay`; answers kept back: `pace.hold()`, `pace.release()`."""

    def __init__(self, refuse: Iterable[str] = (), greylist: Iterable[str] = (), *, delay: float = 0.0) -> None:
        self.pace = _Pace(delay)
        self._mailbox = _Mailbox(refuse, greylist, self.pace)
        self._controller: _Controller | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def messages(self) -> list[EmailMessage]:
        return self._mailbox.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self._mailbox.envelopes

    def copies(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(str(m["Message-ID"] or "") for m in self.messages)

    def kept(self) -> dict[str, EmailMessage]:
        """The mailbox as a client that keeps one copy per Message-ID shows it."""
        messages = list(self.messages)
        return first_per_key((str(m["Message-ID"] or "") for m in messages), messages)

    def start(self) -> SmtpReceiver:
        controller = _Controller(self._mailbox, hostname=self.host, port=0)
        controller.start()
        self._controller = controller
        self.port = controller.port
        return self

    def stop(self) -> None:
        self.pace.release()  # no answer is kept back from a server that stops
        if self._controller is not None:
            self._controller.stop()  # stops its loop, closes the socket, joins its thread
            self._controller = None

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Waits until `n` messages have arrived; returns them all."""
        await _wait(lambda: len(self.messages), n, timeout,
                    lambda: f"messages {[str(m['Subject']) for m in self.messages]}")
        return self.messages

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> SmtpReceiver:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


# -- group robots ----------------------------------------------------------------------------------

# Where each service takes its messages; the receiver answers on the same path with its own token.
PATHS = {
    "wecom": "/cgi-bin/webhook/send?key={token}",
    "dingtalk": "/robot/send?access_token={token}",
    "feishu": "/open-apis/bot/v2/hook/{token}",
}
OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
}


class Refusal(Exception):
    """A request the service refuses: `answer` is its JSON answer (sent with HTTP 200, as they do)."""

    def __init__(self, reason: str, answer: dict[str, Any]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.answer = answer


def _wecom(body: dict[str, Any]) -> None:
    if body.get("msgtype") != "text":
        raise Refusal(f"msgtype {body.get('msgtype')!r}", {"errcode": 40008, "errmsg": "invalid message type"})
    text = body.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("content"), str) or not text["content"]:
        raise Refusal("text.content missing", {"errcode": 44004, "errmsg": "empty content"})
    mentioned = text.get("mentioned_mobile_list", [])
    if not isinstance(mentioned, list) or not all(isinstance(m, str) for m in mentioned):
        raise Refusal("mentioned_mobile_list is not a list of strings",
                      {"errcode": 40058, "errmsg": "invalid mentioned_mobile_list"})
    if len(text["content"].encode()) > 2048:  # WeCom: text content at most 2048 bytes
        raise Refusal("content longer than 2048 bytes", {"errcode": 40058, "errmsg": "content exceed max length"})


def _dingtalk(body: dict[str, Any], query: dict[str, list[str]], secret: str, now: float) -> None:
    if secret:
        timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
        if not timestamp.isdigit() or not sign:
            raise Refusal("timestamp or sign missing", {"errcode": 310000, "errmsg": "sign not match"})
        if abs(now * 1000 - int(timestamp)) > ONE_HOUR * 1000:
            raise Refusal(f"timestamp {timestamp} not within one hour",
                          {"errcode": 310000, "errmsg": "invalid timestamp"})
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        # parse_qs has already undone the URL encoding once, as DingTalk's server does.
        if not hmac.compare_digest(sign.encode(), base64.b64encode(digest)):
            raise Refusal("sign not match", {"errcode": 310000, "errmsg": "sign not match"})
    if body.get("msgtype") != "text":
        raise Refusal(f"msgtype {body.get('msgtype')!r}", {"errcode": 40035, "errmsg": "缺少参数 msgtype"})
    text = body.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("content"), str) or not text["content"]:
        raise Refusal("text.content missing", {"errcode": 40035, "errmsg": "缺少参数 content"})
    at = body.get("at", {})
    mobiles = at.get("atMobiles", []) if isinstance(at, dict) else None
    if (not isinstance(mobiles, list) or not all(isinstance(m, str) for m in mobiles)
            or not isinstance(at.get("isAtAll", False), bool)):
        raise Refusal("at is not {atMobiles: [str], isAtAll: bool}", {"errcode": 40035, "errmsg": "缺少参数 at"})


def _feishu(body: dict[str, Any], secret: str, now: float) -> None:
    if secret:
        timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
        fail = {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        if not timestamp.isdigit() or abs(now - int(timestamp)) > ONE_HOUR:
            raise Refusal(f"timestamp {timestamp!r} not within one hour", fail)
        digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        if not hmac.compare_digest(sign.encode(), base64.b64encode(digest)):
            raise Refusal("sign match fail", fail)
    if body.get("msg_type") != "text":
        raise Refusal(f"msg_type {body.get('msg_type')!r}", {"code": 19002, "msg": "params error, msg_type need"})
    content = body.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("text"), str) or not content["text"]:
        raise Refusal("content.text missing", {"code": 19002, "msg": "params error, content.text need"})


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads: none is left running
    block_on_close = True
    receiver: RobotReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # the sender went away (a fault test killed it)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: no keep-alive thread outlives a test

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        assert isinstance(self.server, _Server)
        status, answer = self.server.receiver.handle(self.path, dict(self.headers.items()), self.rfile.read(length))
        self.server.receiver.before_answer()
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # the test's output is not the place
        pass


class RobotReceiver:
    """A group robot of `kind` ("wecom", "dingtalk", "feishu") at `url`. Each accepted JSON body goes to
    `received` (its Idempotency-Key header to `keys`), each refusal's reason to `refused`; `requests`
    counts every POST. The first `fail_first` requests are answered with HTTP 500. Slow answers:
    `delay`; answers kept back: `pace.hold()`, `pace.release()`."""

    def __init__(self, kind: str, secret: str = "", fail_first: int = 0, *, delay: float = 0.0) -> None:
        if kind not in PATHS:
            raise ValueError(f"unknown robot kind {kind!r}")
        self.kind = kind
        self.secret = secret
        self.fail_first = fail_first
        self.token = secrets.token_hex(16)
        self.received: list[dict[str, Any]] = []
        self.keys: list[str] = []  # the Idempotency-Key header of each accepted request ("" if none)
        self.refused: list[str] = []
        self.requests = 0
        self.url = ""
        self._lock = threading.Lock()
        self.pace = _Pace(delay)
        self._accepted = threading.local()  # the key of the message the request thread took
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        """One POST: (HTTP status, JSON answer)."""
        with self._lock:
            self.requests += 1
            if self.requests <= self.fail_first:
                return 500, {"errcode": -1, "errmsg": "system busy"}
            try:
                body = self._check(path, raw)
            except Refusal as refusal:
                self.refused.append(refusal.reason)
                return 200, refusal.answer
            self.received.append(body)
            self.keys.append(next((v for k, v in headers.items() if k.lower() == "idempotency-key"), ""))
            self._accepted.key = self.keys[-1]
            return 200, OK[self.kind]

    def before_answer(self) -> None:
        """In the request's thread, between taking a message and answering: the pace."""
        key = getattr(self._accepted, "key", None)
        self._accepted.key = None
        if key is not None:
            self.pace.wait(key)

    def copies(self) -> Counter[str]:
        """How many times each Idempotency-Key arrived."""
        with self._lock:
            return Counter(self.keys)

    def kept(self) -> dict[str, dict[str, Any]]:
        """The group as a service that honours the Idempotency-Key shows it: one copy per key."""
        with self._lock:
            return first_per_key(list(self.keys), list(self.received))

    def _check(self, path: str, raw: bytes) -> dict[str, Any]:
        parts = urlsplit(path)
        query = parse_qs(parts.query, keep_blank_values=True)
        expected = urlsplit(PATHS[self.kind].format(token=self.token))
        token_ok = parts.path == expected.path and all(
            query.get(name) == values for name, values in parse_qs(expected.query).items())
        if not token_ok:
            raise Refusal("unknown token", {
                "wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
                "dingtalk": {"errcode": 300001, "errmsg": "token is not exist"},
                "feishu": {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"},
            }[self.kind])
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refusal("body is not UTF-8 JSON", {"errcode": 40000, "errmsg": "invalid json"}
                          if self.kind != "feishu" else {"code": 9499, "msg": "Bad Request"}) from None
        if not isinstance(body, dict):
            raise Refusal("body is not a JSON object", {"errcode": 40000, "errmsg": "invalid json"})
        now = time.time()
        if self.kind == "wecom":
            _wecom(body)
        elif self.kind == "dingtalk":
            _dingtalk(body, query, self.secret, now)
        else:
            _feishu(body, self.secret, now)
        return body

    def start(self) -> RobotReceiver:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.receiver = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"robot-{self.kind}")
        self._thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}" + PATHS[self.kind].format(token=self.token)
        return self

    def stop(self) -> None:
        self.pace.release()  # a request thread kept waiting would block server_close
        if self._server is not None:
            self._server.shutdown()  # serve_forever returns
            self._server.server_close()  # closes the socket, joins the request threads
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Waits until `n` messages have been accepted; returns them all."""
        await _wait(lambda: len(self.received), n, timeout,
                    lambda: f"{self.requests} requests, refused {self.refused}")
        return self.received

    async def wait_for_requests(self, n: int, timeout: float = 10.0) -> None:
        """Waits until `n` requests (accepted, refused or failed) have come."""
        await _wait(lambda: self.requests, n, timeout, lambda: f"refused {self.refused}")

    def __enter__(self) -> RobotReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> RobotReceiver:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


def mentioned(body: dict[str, Any]) -> list[str]:
    """The mobiles a robot message @-mentions, whatever the robot."""
    if "at" in body:
        return list(body["at"].get("atMobiles", []))
    return list(body.get("text", {}).get("mentioned_mobile_list", []))

