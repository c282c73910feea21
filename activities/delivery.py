"""Messages outside the browser: plan them (a row per message and receiver, keyed), start a
delivery workflow for each, send (the `delivery.send` activity, retried by Temporal with backoff),
and give up on a channel (report it, fall back to the next).

Exactly once to the person, as far as a channel lets anyone know: a message's row says `sent` once
the channel accepted it, and no attempt sends a message whose row says so (a retry after a worker
crash, a second start). The one case no sender can settle is a message the channel took without the
row learning so: a worker killed mid-send, or an answer that never came back (a timeout after the
request went). The next attempt sends it again with the same key (the e-mail's Message-ID, the
robots' Idempotency-Key header), and the row counts the doubt as `interrupted`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from activities.store import insert_once
from contracts.delivery import WORKFLOW, DeliveryInput, GiveUpInput, SendInput
from gongkai.channels import KIND_ZH, ROBOTS, ChannelFailed, ChannelKind, Message, Robot, Smtp, post_robot, send_mail
from gongkai.clock import local_date
from gongkai.keys import KeyRing
from gongkai.logs import bind, get_logger
from gongkai.senders import channel_ring, open_robot, smtp_of
from gongkai.settings import Settings, get_settings
from models import AuditEvent, Delivery, DepartmentChannel, DisclosureRequest, Notification, User
from models.accounts import Role
from models.base import utcnow

log = get_logger(__name__)
SEND_TIMEOUT = timedelta(seconds=30)  # one attempt; the protocols time out well inside it
WAITING = ("pending", "sending", "retrying")  # a delivery's states before it is settled


@dataclass(frozen=True)
class Outbox:
    """What sending needs from the settings: the mail server, the key robots are sealed with, how
    links start, how a failing channel is retried."""

    smtp: Smtp | None
    ring: KeyRing
    link_base: str
    retry_seconds: float = 10.0
    attempts: int = 8

    @classmethod
    def of(cls, settings: Settings | None = None) -> Outbox:
        s = settings or get_settings()
        return cls(smtp_of(s), channel_ring(s), s.link_base, s.delivery_retry_seconds, s.delivery_attempts)

    def replace(self, **changes) -> Outbox:
        return dataclasses.replace(self, **changes)


def robot_of(ring: KeyRing, channel: DepartmentChannel) -> Robot | None:
    """The robot a channel row holds, or None when no key still held opens it."""
    return open_robot(ring, channel.kind, channel.endpoint)


def workflow_id(key: str) -> str:
    return f"delivery:{key}"


async def start_deliveries(outbox: Outbox, keys: list[tuple[str, datetime]], *, client: Client | None = None,
                           task_queue: str | None = None) -> int:
    """Start the delivery workflow of each (key, release instant); one that exists is left as it is.
    From inside an activity, the worker's client and task queue are used."""
    if not keys:
        return 0
    client = client or activity.client()
    queue = task_queue or activity.info().task_queue
    started = 0
    for key, release in keys:
        try:
            await client.start_workflow(
                WORKFLOW, DeliveryInput(key, release, outbox.retry_seconds, outbox.attempts),
                id=workflow_id(key), task_queue=queue, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
            started += 1
        except WorkflowAlreadyStartedError:
            pass
    return started


async def plan(session: AsyncSession, rows: list[Delivery]) -> list[tuple[str, datetime]]:
    """Insert each row unless its key exists; returns every row still to be sent (new or planned by
    an earlier attempt of the same activity), with its release instant, for start_deliveries."""
    for row in rows:
        await insert_once(session, row)
    if not rows:
        return []
    waiting = (await session.execute(select(Delivery.key, Delivery.release_at).where(
        col(Delivery.key).in_([r.key for r in rows]),
        col(Delivery.status).in_(WAITING)))).all()
    return [(k, at) for k, at in waiting]


async def group_channels(session: AsyncSession, department_id: int | None) -> list[DepartmentChannel]:
    if department_id is None:
        return []
    return list((await session.execute(select(DepartmentChannel).where(
        DepartmentChannel.department_id == department_id, col(DepartmentChannel.active)).order_by(
        col(DepartmentChannel.id)))).scalars())


async def with_email(session: AsyncSession, user_ids: list[int]) -> list[int]:
    if not user_ids:
        return []
    return [uid for (uid,) in (await session.execute(select(User.id).where(
        col(User.id).in_(user_ids), col(User.active), User.email != "").order_by(col(User.id)))).all()]


def receiver_zh(row: Delivery, name: str) -> str:
    kind = KIND_ZH.get(ChannelKind(row.channel), row.channel)
    if row.applicant:
        return f"{kind}（申请人）"
    return f"{kind}「{name}」" if name else kind


class DeliveryActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], outbox: Outbox | None = None) -> None:
        self.session_factory = session_factory
        self.outbox = outbox or Outbox.of()

    async def _message(self, session: AsyncSession, row: Delivery) -> tuple[Message, str, str, Robot | None]:
        """The message, the e-mail address (or ""), the receiver's name for the timeline, the robot."""
        people = list((await session.execute(select(User).where(col(User.id).in_(row.mentions or [-1])).order_by(
            col(User.id)))).scalars())
        message = Message(row.key, row.title, row.body, row.link, tuple(u.mobile for u in people if u.mobile),
                          tuple(u.display_name for u in people))
        if row.channel == ChannelKind.EMAIL:
            if row.applicant:  # the address as the case has it now; the mail names no one
                address = (await session.execute(select(DisclosureRequest.contact_email).where(
                    DisclosureRequest.id == row.case_id))).scalar_one_or_none()
                return message, address or "", "", None
            user = await session.get(User, row.user_id) if row.user_id is not None else None
            if user is None or not user.active:
                raise ChannelFailed("收件人账号不存在或已停用", permanent=True)
            return message, user.email, user.display_name, None
        channel = await session.get(DepartmentChannel, row.channel_id) if row.channel_id is not None else None
        if channel is None or not channel.active:
            raise ChannelFailed("群机器人已删除或停用", permanent=True)
        robot = robot_of(self.outbox.ring, channel)
        if robot is None:
            raise ChannelFailed("群机器人的密钥无法解开（安装密钥已更换）：请重新录入 Webhook", permanent=True)
        return message, "", channel.name, robot

    @activity.defn(name="delivery.send")
    async def send(self, data: SendInput) -> str:
        bind(delivery=data.key)
        async with self.session_factory() as session:
            row = (await session.execute(select(Delivery).where(Delivery.key == data.key))).scalar_one_or_none()
            if row is None:
                raise ApplicationError(f"no delivery {data.key}", type="NotFound", non_retryable=True)
            if row.status in {"sent", "failed", "skipped"}:
                return row.status  # settled by an earlier attempt: never sent twice
            interrupted = row.status == "sending"  # the last attempt died mid-send
            row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, utcnow()
            row.interrupted += int(interrupted)
            attempt, case_id, channel = row.attempts, row.case_id, row.channel
            try:
                message, address, name, robot = await self._message(session, row)
            except ChannelFailed as failed:
                await session.commit()
                return await self._failed(data, failed, attempt)
            session.expunge(row)
            await session.commit()
        try:
            if robot is not None:
                answer = await post_robot(robot, message)
            else:
                answer = await send_mail(self.outbox.smtp, address, name, message)
        except ChannelFailed as failed:
            return await self._failed(data, failed, attempt)
        async with self.session_factory() as session:
            await session.execute(update(Delivery).where(col(Delivery.key) == data.key).values(
                status="sent", sent_at=data.at, answer=answer.detail[:500], updated_at=utcnow()))
            if row.channel_id is not None:
                await session.execute(update(DepartmentChannel).where(
                    col(DepartmentChannel.id) == row.channel_id).values(failing_since=None))
            if case_id:
                tried = f"（第{attempt}次尝试）" if attempt > 1 else ""
                again = "（上次发送中断，已按同一编号重发）" if row.interrupted else ""
                await insert_once(session, AuditEvent(
                    key=f"{data.key}/sent", case_id=case_id, actor="system", action="delivery_sent", at=data.at,
                    summary=f"{receiver_zh(row, name)}已接收：{row.title}{tried}{again}"[:500],
                    detail={"delivery": data.key, "channel": channel, "attempts": attempt,
                            "answer": answer.detail[:300]}))
            await session.commit()
        log.info("delivery_sent", channel=channel, attempts=attempt, interrupted=row.interrupted)
        return "sent"

    async def _failed(self, data: SendInput, failed: ChannelFailed, attempt: int) -> str:
        """One attempt failed: the row and the timeline say why; Temporal retries unless it is permanent."""
        async with self.session_factory() as session:
            row = (await session.execute(select(Delivery).where(Delivery.key == data.key))).scalar_one()
            row.status, row.answer, row.updated_at = "retrying", failed.detail[:500], utcnow()
            row.interrupted += int(failed.in_doubt)  # the channel may have it: the next attempt may repeat it
            if row.case_id:
                more = "" if failed.permanent else "，将重试"
                await insert_once(session, AuditEvent(
                    key=f"{data.key}/attempt{attempt}", case_id=row.case_id, actor="system",
                    action="delivery_attempt_failed", at=data.at,
                    summary=f"{receiver_zh(row, '')}发送失败（第{attempt}次）："
                            f"{failed.detail}{more}"[:500],
                    detail={"delivery": data.key, "channel": row.channel, "attempt": attempt,
                            "answer": failed.detail}))
            await session.commit()
        log.info("delivery_attempt_failed", channel=row.channel, attempt=attempt, permanent=failed.permanent)
        raise ApplicationError(failed.detail, type="ChannelFailed", non_retryable=failed.permanent)

    @activity.defn(name="delivery.give_up")
    async def give_up(self, data: GiveUpInput) -> int:
        """The channel failed for good: the row says so, administrators are told (once a day per
        channel), the case's timeline shows it, and the message goes out on the next channel."""
        bind(delivery=data.key)
        async with self.session_factory() as session:
            row = (await session.execute(select(Delivery).where(Delivery.key == data.key))).scalar_one()
            if row.status in {"sent", "failed", "skipped"}:
                return 0
            row.status, row.answer, row.updated_at = "failed", data.reason[:500], utcnow()
            fallbacks = await self._fallbacks(session, row, data.at)
            name = await self._report(session, row, data)
            if row.case_id:
                instead = f"；已改用{KIND_ZH[ChannelKind(fallbacks[0].channel)]}" if fallbacks else ""
                await insert_once(session, AuditEvent(
                    key=f"{data.key}/failed", case_id=row.case_id, actor="system", action="delivery_failed",
                    at=data.at, summary=f"{receiver_zh(row, name)}未能送达：{data.reason}{instead}"[:500],
                    detail={"delivery": data.key, "channel": row.channel, "attempts": row.attempts,
                            "fallbacks": [f.key for f in fallbacks]}))
            waiting = await plan(session, fallbacks)
            await session.commit()
        log.info("delivery_failed", channel=row.channel, attempts=row.attempts, fallbacks=len(waiting))
        return await start_deliveries(self.outbox, waiting)

    async def _fallbacks(self, session: AsyncSession, row: Delivery, at: datetime) -> list[Delivery]:
        """The next channel: a robot's message goes by e-mail to the people it @-mentions; a person's
        e-mail to their department's group robots, @-mentioning them. One step, no further. A person's
        daily digest is theirs alone (and already in the app): it is not posted to a group."""
        if row.cause in {"fallback", "digest"} or row.applicant:
            return []
        message = partial(Delivery, case_id=row.case_id, cause="fallback", level=row.level, title=row.title,
                          body=row.body, link=row.link, release_at=at, fallback_of=row.key)
        if row.channel in {k.value for k in ROBOTS}:
            if self.outbox.smtp is None:
                return []
            return [message(key=f"{row.key}/fallback/email/{uid}", channel=ChannelKind.EMAIL, user_id=uid)
                    for uid in await with_email(session, list(row.mentions or []))]
        user = await session.get(User, row.user_id) if row.user_id is not None else None
        if user is None:
            return []
        return [message(key=f"{row.key}/fallback/{c.kind}/{c.id}", channel=c.kind, channel_id=c.id,
                        mentions=[user.id])
                for c in await group_channels(session, user.department_id)]

    async def _report(self, session: AsyncSession, row: Delivery, data: GiveUpInput) -> str:
        """Tell the administrators a channel keeps failing (once per channel and day); the receiver's name."""
        name, what = "", "邮件服务"
        if row.channel_id is not None:
            channel = await session.get(DepartmentChannel, row.channel_id)
            if channel is not None:
                name, what = channel.name, f"{KIND_ZH[ChannelKind(channel.kind)]}「{channel.name}」"
                channel.failing_since = channel.failing_since or data.at
                channel.last_error = data.reason[:500]
        elif row.user_id is not None:
            user = await session.get(User, row.user_id)
            name = user.display_name if user else ""
        elif row.applicant:
            # Most often a mistyped address, not a broken mail server: the case's handler is told, so the
            # applicant can be reached another way.
            await self._tell_handler(session, row, data)
            return name

        admins = [uid for (uid,) in (await session.execute(select(User.id).where(
            User.role == Role.ADMIN, col(User.active)))).all()]
        day = local_date(data.at).isoformat()
        for uid in admins:
            await insert_once(session, Notification(
                key=f"channel-failed/{row.channel}/{row.channel_id or 0}/{day}/{uid}", user_id=uid,
                case_id=row.case_id, level=1, title=f"消息发送失败：{what}",
                body=f"{what}未能送达「{row.title}」：{data.reason}。请在“消息渠道”中检查设置并发送测试消息。"[:1000]))
        return name

    async def _tell_handler(self, session: AsyncSession, row: Delivery, data: GiveUpInput) -> None:
        req = (await session.execute(select(DisclosureRequest).where(
            DisclosureRequest.id == row.case_id))).scalar_one_or_none()
        if req is None:
            return
        told = [req.assignee_id] if req.assignee_id is not None else [uid for (uid,) in (await session.execute(
            select(User.id).where(User.department_id == req.department_id, User.role == Role.OFFICER,
                                  col(User.active)))).all()]
        for uid in told:
            await insert_once(session, Notification(
                key=f"{row.key}/handler/{uid}", user_id=uid, case_id=row.case_id, level=0,
                title=f"申请人邮件未能送达：{row.case_id}",
                body=f"发给申请人的邮件「{row.title}」未能送达：{data.reason}。请核对申请人的电子邮箱，"
                     f"必要时以电话、邮寄等方式告知。"[:1000]))
