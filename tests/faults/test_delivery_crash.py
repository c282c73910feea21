"""SIGKILL the worker while 50 escalations are being sent, each to two supervisors' mailboxes and to
the department's DingTalk and WeCom group robots; start it again and wait until every message is
settled. Each receiver kept exactly one copy of each escalation, and a message reached a receiver
twice only where its row counts an interrupted attempt.

That one repeat is the window no sender can close: the worker died after the channel took the
message and before the row said `sent`. The next attempt sends it again with the same key (the
e-mail's Message-ID, the robots' Idempotency-Key header) and a receiver that honours the key keeps
one copy, as these do. The test makes the window certain rather than likely: once half the
messages have been taken, the receivers take the next ones without answering, and the worker is
killed as soon as it waits for such an answer.

Real dev server, the worker a separate process (`python -m worker`, configured by GONGKAI_* like
production), real receivers in this process. The escalations are public-opinion cases registered
after their 48-hour response clock ran out: each fires its `due` rung at once (an hour clock keeps
no quiet hours), which plans the case's messages and starts a DeliveryWorkflow for each."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses

from sqlalchemy import func
from sqlmodel import col, select

from contracts.incident import IncidentInput
from gongkai.channels import key_digest, message_id
from gongkai.sealed import seal
from gongkai.senders import channel_ring
from gongkai.settings import get_settings
from models import AuditEvent, Delivery, DepartmentChannel, User
from models.accounts import Role
from tests.faults.support import WorkerProcess, since
from tests.support.receivers import RobotReceiver, SmtpReceiver, mentioned
from tests.support.temporal import dev_server
from tests.workflows.disclosure_support import department_id
from workflows.incident import IncidentWorkflow

CASES = 50
DELAY = 0.08  # seconds each receiver takes to answer
SECRET = "SEC" + uuid.uuid4().hex  # the DingTalk robot's signing secret
MAILBOXES = {"duban": "zhao.min@gov.example", "duban2": "qian.li@gov.example"}  # the two supervisors
HEAD_MOBILE = "13900001111"  # the department head's: the robots @-mention the head (incidents have no assignee)
SETTLED = ("sent", "failed", "skipped")
SETTLE_TIMEOUT = 300  # a guard: the killed sends are retried after their 30 s timeout


async def _prepare(db, ding: RobotReceiver, wecom: RobotReceiver) -> int:
    """Two supervisors with addresses, the department head's mobile (the robots @-mention it), and
    the department's two robots. Returns the department."""
    dept = await department_id(db, "JYJ")
    ring = channel_ring(get_settings())
    async with db.session_factory() as s:
        users = {u.username: u for u in (await s.execute(select(User))).scalars()}
        users["duban"].email = MAILBOXES["duban"]
        s.add(User(username="duban2", display_name="钱立", password_hash="!", role=Role.SUPERVISOR,
                   department_id=users["duban"].department_id, email=MAILBOXES["duban2"]))
        users["jyj_head"].mobile = HEAD_MOBILE
        for kind, name, robot, secret in (("dingtalk", "教育局钉钉群", ding, SECRET),
                                          ("wecom", "教育局企业微信群", wecom, "")):
            s.add(DepartmentChannel(department_id=dept, kind=kind, name=name, created_by="admin",
                                    endpoint=seal(ring, {"webhook": robot.url, "secret": secret}), hint=kind))
        await s.commit()
    return dept


def _incident(case_id: str, dept: int, now: datetime) -> IncidentInput:
    return IncidentInput(case_id, f"网络反映某校食堂问题（{case_id[-3:]}）", "网民发帖反映学校食堂卫生问题", "某区某校",
                         "large", "online", now - timedelta(hours=49), now - timedelta(hours=48), dept, [],
                         "jyj_officer")


def _name(receiver: SmtpReceiver | RobotReceiver) -> str:
    return receiver.kind if isinstance(receiver, RobotReceiver) else "smtp"


def _taken(receivers) -> dict[str, int]:
    """Messages each receiver has taken, every copy counted."""
    return {_name(r): sum(r.copies().values()) for r in receivers}


async def _until(condition, worker: WorkerProcess, receivers) -> None:
    """Polls `condition` while the worker sends; the guard only stops a test whose worker sends nothing."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker stopped sending: {_taken(receivers)} taken\n{worker.tail()}")
        await asyncio.sleep(0.02)


async def _rows(db) -> list[Delivery]:
    async with db.session_factory() as s:
        return list((await s.execute(select(Delivery).order_by(Delivery.key))).scalars())


def _case_of(text: str) -> str:
    """The case a message is about, from its link."""
    found = re.findall(r"/incidents/(IN-\d{4}-\d{6})", text)
    assert len(set(found)) == 1, text
    return found[0]


async def test_worker_sigkill_mid_delivery(db, tmp_path):
    messages = CASES * (len(MAILBOXES) + 2)
    async with (SmtpReceiver(delay=DELAY) as smtp, RobotReceiver("dingtalk", secret=SECRET, delay=DELAY) as ding,
                RobotReceiver("wecom", delay=DELAY) as wecom):
        receivers = (smtp, ding, wecom)
        dept = await _prepare(db, ding, wecom)
        env = await dev_server(str(tmp_path / "temporal.db"))
        client = env.client
        queue = f"delivery-crash-{uuid.uuid4().hex[:8]}"
        worker = WorkerProcess(tmp_path / "worker.log", database_url=db.url,
                               address=client.service_client.config.target_host, queue=queue, var_dir=tmp_path / "var")
        worker.env |= {"GONGKAI_SMTP_HOST": smtp.host, "GONGKAI_SMTP_PORT": str(smtp.port),
                       "GONGKAI_SMTP_FROM": "gongkai@gov.example", "GONGKAI_DELIVERY_RETRY_SECONDS": "0.2"}
        try:
            await worker.start()
            ids = [f"IN-2026-{i:06d}" for i in range(1, CASES + 1)]
            now = datetime.now(UTC)
            t0 = time.monotonic()
            for case_id in ids:
                await client.start_workflow(IncidentWorkflow.run, _incident(case_id, dept, now), id=case_id,
                                            task_queue=queue)

            # -- killed while it waits for answers the receivers have not given ------------------
            # Half the messages taken, the receivers keep back their next answers; the worker is
            # killed as soon as one waits for an answer (long before its own send timeout).
            await _until(lambda: sum(_taken(receivers).values()) >= messages // 2, worker, receivers)
            for r in receivers:
                r.pace.hold()
            await _until(lambda: any(r.pace.holding for r in receivers), worker, receivers)
            worker.kill()
            t_kill = time.monotonic()
            held = {r: list(r.pace.held) for r in receivers}
            taken = _taken(receivers)
            statuses = Counter(row.status for row in await _rows(db))
            for r in receivers:
                r.pace.release()  # answered into a closed socket: the worker never hears it
            await worker.start()
            t_back = time.monotonic()

            async def settled() -> list[Delivery]:
                while True:
                    rows = await _rows(db)
                    if len(rows) == messages and all(row.status in SETTLED for row in rows):
                        return rows
                    if time.monotonic() - t_kill > SETTLE_TIMEOUT:
                        raise AssertionError(f"not settled in {SETTLE_TIMEOUT} s: "
                                             f"{Counter(row.status for row in rows)} of {len(rows)}\n{worker.tail()}")
                    await asyncio.sleep(0.5)

            rows = await settled()
            figures = {
                "escalations": CASES, "messages": messages, "kills": worker.starts - 1,
                "taken_before_kill": taken, "held_at_kill": {_name(r): len(k) for r, k in held.items()},
                "rows_at_kill": dict(statuses), "before_kill_s": round(t_kill - t0, 1),
                "interrupted": sum(row.interrupted for row in rows),
                "raw_repeats": {_name(r): sum(r.copies().values()) - len(r.copies()) for r in receivers},
                "settled_after_kill_s": since(t_kill), "settled_after_restart_s": since(t_back),
            }
            print("\ndelivery SIGKILL:", figures)

            # -- every message settled as sent, once per escalation and receiver --------------------
            assert all(row.status == "sent" for row in rows), Counter((r.status, r.answer) for r in rows)
            assert not [row.key for row in rows if row.fallback_of], "no channel was given up on"
            by_channel = Counter((row.case_id, row.channel) for row in rows)
            assert by_channel == Counter({(c, ch): n for c in ids
                                          for ch, n in (("email", len(MAILBOXES)), ("dingtalk", 1), ("wecom", 1))})
            async with db.session_factory() as s:
                escalated = Counter((await s.execute(select(col(AuditEvent.case_id)).where(
                    col(AuditEvent.action) == "deadline_escalated"))).scalars())
                sent_events = (await s.execute(select(func.count()).select_from(AuditEvent).where(
                    col(AuditEvent.action) == "delivery_sent"))).scalar_one()
                address = {u.id: u.email for u in (await s.execute(select(User))).scalars()}
            assert escalated == Counter(ids)  # one rung fired per case
            assert sent_events == messages  # each case's timeline shows each delivery once

            # -- (1) each receiver kept exactly one copy of each escalation --------------------------
            row_of = {message_id(row.key): row for row in rows if row.channel == "email"}
            row_of |= {key_digest(row.key): row for row in rows if row.channel != "email"}
            mailboxes: dict[str, list[str]] = {a: [] for a in MAILBOXES.values()}
            for mid, mail in smtp.kept().items():
                row = row_of[mid]
                (to,) = [a for _n, a in getaddresses([str(mail["To"])])]
                assert to == address[row.user_id], (to, row.key)
                assert _case_of(mail.get_content()) == row.case_id
                mailboxes[to].append(row.case_id)
            for to, cases in mailboxes.items():
                assert sorted(cases) == ids, f"mailbox {to}: {Counter(cases) - Counter(ids)} extra, " \
                                             f"{sorted(set(ids) - set(cases))} missing"
            for robot in (ding, wecom):
                cases = []
                for key, body in robot.kept().items():
                    row = row_of[key]
                    assert row.channel == robot.kind
                    assert _case_of(body["text"]["content"]) == row.case_id
                    assert mentioned(body) == [HEAD_MOBILE]
                    cases.append(row.case_id)
                assert sorted(cases) == ids, f"{robot.kind}: {sorted(set(ids) - set(cases))} missing"
                assert not robot.refused

            # -- (2) a receiver got a message twice only where the row counts an interrupted send ---
            for r in receivers:
                for key, n in r.copies().items():
                    assert n <= 1 + row_of[key].interrupted, (row_of[key].key, n, row_of[key].interrupted)
            # The window no sender can close was open at the kill: each message kept back was
            # taken, its row said `sending`, and the send after the restart went again, same key.
            for r, keys in held.items():
                for key in keys:
                    assert (row_of[key].interrupted, r.copies()[key]) == (1, 2), row_of[key].key
            assert 1 <= sum(map(len, held.values())) <= figures["interrupted"]
        finally:
            worker.stop()
            await env.shutdown()
