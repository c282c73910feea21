"""Message channels (消息渠道), for administrators: each department's group robots (WeCom, DingTalk,
Feishu) and the mail server the reminders and escalations go out by (activities/delivery.py).

A robot's webhook and signing secret let anyone who holds them post into the group. They are sealed
as they are entered (gongkai/sealed.py, under a key derived for this one purpose, gongkai/senders.py),
never shown again (the page shows the host and the webhook's last characters), never logged, never
in an audit row, and not kept in a form that comes back with an error (the secret is typed again).

"发送测试消息" posts a short message right away from this request: it is the administrator's own
check, not a delivery (no outbox row, no workflow, no retry), and the page shows what the channel
answered. The answer is kept on the robot (last_test_at, last_test_answer) and audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.channels import (
    KIND_ZH,
    SIGNED,
    ChannelFailed,
    ChannelKind,
    Message,
    check_webhook,
    hint,
    post_robot,
    send_mail,
)
from gongkai.contacts import email_address
from gongkai.errors import InvalidInput, NotFound
from gongkai.logs import get_logger
from gongkai.sealed import seal
from gongkai.senders import channel_ring, open_robot, smtp_of
from gongkai.settings import Settings
from models import Department, DepartmentChannel, User
from web.audit import audit
from web.guards import admin_only
from web.render import beijing, page

log = get_logger(__name__)
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
KINDS = {ChannelKind.WECOM.value: "企业微信", ChannelKind.DINGTALK.value: "钉钉", ChannelKind.FEISHU.value: "飞书"}
SIGNED_KINDS = tuple(k.value for k in SIGNED)
OK, FAILED = "成功：", "失败："  # how a test's answer starts in last_test_answer
NAME_CHARS, SECRET_CHARS = 100, 200
SECURITY_ZH = {"none": "不加密", "starttls": "STARTTLS", "ssl": "SSL/TLS"}
TEST_TITLE = "消息渠道测试"


T = TypeVar("T")

@dataclass(frozen=True)
class RobotView:
    """One robot as the page shows it: never its webhook or secret."""

    row: DepartmentChannel
    sealed_ok: bool  # False: no key still held opens it (the installation secret was replaced)
    signed: bool  # a signing secret is set

    @property
    def tested_ok(self) -> bool:
        return self.row.last_test_answer.startswith(OK)


@dataclass
class Failed:
    """A refused form: which one (new, edit-<id>, mail), the refusal, and what was typed (no secrets)."""

    form: str
    error: InvalidInput
    typed: dict[str, str]
    more: tuple[InvalidInput, ...] = ()  # the other fields refused in the same submission

    @property
    def errors(self) -> dict[str, str]:
        """Each refused field's message, all shown at once."""
        out: dict[str, str] = {}
        for exc in (self.error, *self.more):
            if exc.field and exc.field not in out:
                out[exc.field] = exc.message
        return out


def _name(value: str | None) -> str:
    name = (value or "").strip()
    if not name:
        raise InvalidInput("请填写机器人名称，例如“卫健局值班群”", field="name")
    if len(name) > NAME_CHARS:
        raise InvalidInput(f"机器人名称不能超过{NAME_CHARS}字（现为{len(name)}字）", field="name")
    return name


def _department_id(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput("请选择部门", field="department_id") from None


def _kind(value: str | None) -> str:
    if value not in KINDS:
        raise InvalidInput("请选择群机器人类型（企业微信、钉钉或飞书）", field="kind")
    return value


def _webhook(kind: str, value: str | None) -> str:
    if not (value or "").strip():
        raise InvalidInput("请填写 Webhook 地址（在群设置的“群机器人”中复制）", field="webhook")
    try:
        return check_webhook(kind, value or "")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="webhook") from None


def _secret(kind: str, value: str | None) -> str:
    secret = (value or "").strip()
    if not secret:
        return ""
    if kind not in SIGNED_KINDS:
        raise InvalidInput("企业微信群机器人没有签名密钥，请留空", field="secret")
    if len(secret) > SECRET_CHARS or any(c.isspace() for c in secret):
        raise InvalidInput(f"签名密钥不能含有空格，且不超过{SECRET_CHARS}个字符", field="secret")
    if kind == ChannelKind.DINGTALK and not secret.startswith("SEC"):
        raise InvalidInput("钉钉的加签密钥以 SEC 开头：请在群机器人的“安全设置”中勾选“加签”，复制其下的密钥",
                           field="secret")
    return secret


def _typed(data: dict[str, str]) -> dict[str, str]:
    """What comes back in a refused form: everything typed except the secrets and the CSRF token."""
    return {k: v for k, v in data.items() if k not in {"secret", "_csrf_token"}}


def _mail_settings(settings: Settings) -> dict[str, Any]:
    """The mail server as the page shows it: never the password, only whether one is set."""
    smtp = smtp_of(settings)
    if smtp is None:
        return {"configured": False}
    return {"configured": True, "host": smtp.host, "port": smtp.port, "sender": smtp.sender,
            "security": SECURITY_ZH.get(smtp.security, smtp.security), "username": smtp.username,
            "password_set": bool(smtp.password)}


class ChannelAdminController(Controller):
    path = "/admin/channels"
    include_in_schema = False
    guards = [admin_only]

    async def _page(self, db: AsyncSession, user: User, state: State, *, status_code: int = 200,
                    failed: Failed | None = None, tested: int | None = None,
                    mail_to: str = "", mail_result: tuple[bool, str] | None = None) -> Template:
        settings: Settings = state.settings
        ring = channel_ring(settings)
        rows = list((await db.execute(select(DepartmentChannel).order_by(
            col(DepartmentChannel.department_id), col(DepartmentChannel.id)))).scalars())
        robots: dict[int, list[RobotView]] = {}
        for row in rows:
            robot = open_robot(ring, row.kind, row.endpoint)
            robots.setdefault(row.department_id, []).append(
                RobotView(row, robot is not None, bool(robot and robot.secret)))
        departments = [d for d in (await db.execute(select(Department).order_by(col(Department.id)))).scalars()
                       if d.active or d.id in robots]
        tested_view = next((v for vs in robots.values() for v in vs if v.row.id == tested), None)
        # Whom a department's robots cannot @-mention: active staff without a mobile number.
        unreachable = dict((await db.execute(select(User.department_id, func.count()).where(
            col(User.active), User.mobile == "", col(User.department_id).in_(list(robots))).group_by(
            col(User.department_id)))).tuples().all())
        return await page(
            "admin/channels.html", db, user, status_code=status_code, departments=departments, robots=robots,
            kinds=KINDS, kind_zh=KIND_ZH, unreachable=unreachable, signed_kinds=SIGNED_KINDS, failed=failed,
            tested=tested_view, mail=_mail_settings(settings), mail_to=mail_to, mail_result=mail_result,
            beijing=beijing)

    async def _robot(self, db: AsyncSession, channel_id: int) -> DepartmentChannel:
        row = await db.get(DepartmentChannel, channel_id)
        if row is None:
            raise NotFound("群机器人不存在（可能已被删除）")
        return row

    @get("/")
    async def index(self, db: AsyncSession, user: User, state: State, tested: int | None = None) -> Template:
        return await self._page(db, user, state, tested=tested)

    @post("/")
    async def create(self, db: AsyncSession, user: User, state: State, data: Form) -> Template | Redirect:
        refused: list[InvalidInput] = []

        def checked(check: Callable[..., T], *args: Any) -> T | None:
            try:
                return check(*args)
            except InvalidInput as exc:
                refused.append(exc)
                return None

        dept_id = checked(_department_id, data.get("department_id"))
        dept = await db.get(Department, dept_id) if dept_id is not None else None
        if dept_id is not None and (dept is None or not dept.active):
            refused.append(InvalidInput("所选部门不存在或已停用", field="department_id"))
        kind = checked(_kind, data.get("kind"))
        name = checked(_name, data.get("name"))
        # The URL's shape is checked even before a kind is chosen, so both are said at once.
        webhook = checked(_webhook, kind or ChannelKind.DINGTALK.value, data.get("webhook"))
        secret = checked(_secret, kind, data.get("secret")) if kind else ""
        if not refused and dept_id is not None and webhook is not None:
            try:
                await self._not_registered(db, state, dept_id, webhook)
            except InvalidInput as exc:
                refused.append(exc)
        if refused or dept is None or kind is None or name is None or webhook is None or secret is None:
            first, *more = refused
            return await self._page(db, user, state, status_code=400,
                                    failed=Failed("new", first, _typed(data), tuple(more)))
        row = DepartmentChannel(department_id=dept_id, kind=kind, name=name, created_by=user.username,
                                updated_by=user.username, hint=hint(webhook),
                                endpoint=seal(channel_ring(state.settings), {"webhook": webhook, "secret": secret}))
        db.add(row)
        await db.flush()
        audit(db, user, "admin", "channel_created",
              f"为{dept.name}添加{KIND_ZH[ChannelKind(kind)]}「{name}」{'（已设置签名密钥）' if secret else ''}",
              channel_id=row.id, department_id=dept_id, kind=kind, signed=bool(secret))
        await db.commit()
        log.info("channel_created", channel_id=row.id, kind=kind)
        return Redirect(f"/admin/channels#channel-{row.id}", status_code=303)

    async def _not_registered(self, db: AsyncSession, state: State, dept_id: int, webhook: str,
                              but: int | None = None) -> None:
        """The same robot entered twice for one department would post every message twice."""
        ring = channel_ring(state.settings)
        for row in (await db.execute(select(DepartmentChannel).where(
                DepartmentChannel.department_id == dept_id))).scalars():
            robot = open_robot(ring, row.kind, row.endpoint)
            if row.id != but and robot is not None and robot.webhook == webhook:
                raise InvalidInput(f"该部门已登记了这个 Webhook（「{row.name}」），同一个机器人不必重复添加",
                                   field="webhook")

    @post("/{channel_id:int}")
    async def update(self, db: AsyncSession, user: User, state: State, channel_id: int,
                     data: Form) -> Template | Redirect:
        """Rename, or replace the webhook and/or the signing secret (empty fields keep what is stored)."""
        row = await self._robot(db, channel_id)
        ring = channel_ring(state.settings)
        try:
            name = _name(data.get("name"))
            new_webhook = (data.get("webhook") or "").strip()
            webhook = _webhook(row.kind, new_webhook) if new_webhook else ""
            secret = _secret(row.kind, data.get("secret"))
            clear = data.get("clear_secret") == "on"
            if secret and clear:
                raise InvalidInput("填写了新的签名密钥，就不要勾选“不再使用签名密钥”", field="secret")
            current = open_robot(ring, row.kind, row.endpoint)
            if current is None and not webhook:
                raise InvalidInput("原来的 Webhook 已无法解开（安装密钥已更换），请重新填写 Webhook 地址"
                                   + ("和签名密钥" if row.kind in SIGNED_KINDS else ""), field="webhook")
            if webhook:
                await self._not_registered(db, state, row.department_id, webhook, but=row.id)
        except InvalidInput as exc:
            return await self._page(db, user, state, status_code=400,
                                    failed=Failed(f"edit-{row.id}", exc, _typed(data)))
        changed = [k for k, v in {"name": name != row.name, "webhook": bool(webhook),
                                  "secret": bool(secret) or (clear and bool(current and current.secret))}.items() if v]
        if not changed:
            return Redirect(f"/admin/channels#channel-{row.id}", status_code=303)
        if webhook or "secret" in changed:
            keep_secret = "" if clear or current is None else current.secret
            row.endpoint = seal(ring, {"webhook": webhook or (current.webhook if current else ""),
                                       "secret": secret or keep_secret})
            row.hint = hint(webhook) if webhook else row.hint
        row.name, row.updated_by, row.updated_at = name, user.username, datetime.now(UTC)
        said = {"name": "名称", "webhook": "Webhook", "secret": "签名密钥"}
        audit(db, user, "admin", "channel_updated",
              f"修改{KIND_ZH[ChannelKind(row.kind)]}「{row.name}」的{'、'.join(said[k] for k in changed)}",
              channel_id=row.id, department_id=row.department_id, changed=changed)
        await db.commit()
        log.info("channel_updated", channel_id=row.id, changed=changed)
        return Redirect(f"/admin/channels#channel-{row.id}", status_code=303)

    @post("/{channel_id:int}/active")
    async def set_active(self, db: AsyncSession, user: User, channel_id: int, data: Form) -> Redirect:
        row = await self._robot(db, channel_id)
        active = data.get("active") == "1"
        if row.active != active:
            row.active, row.updated_by, row.updated_at = active, user.username, datetime.now(UTC)
            audit(db, user, "admin", "channel_enabled" if active else "channel_disabled",
                  f"{'启用' if active else '停用'}{KIND_ZH[ChannelKind(row.kind)]}「{row.name}」",
                  channel_id=row.id, department_id=row.department_id)
            await db.commit()
            log.info("channel_enabled" if active else "channel_disabled", channel_id=row.id)
        return Redirect(f"/admin/channels#channel-{row.id}", status_code=303)

    @post("/{channel_id:int}/delete")
    async def delete(self, db: AsyncSession, user: User, channel_id: int) -> Redirect:
        row = await self._robot(db, channel_id)
        audit(db, user, "admin", "channel_deleted", f"删除{KIND_ZH[ChannelKind(row.kind)]}「{row.name}」",
              channel_id=row.id, department_id=row.department_id, kind=row.kind)
        await db.delete(row)
        await db.commit()
        log.info("channel_deleted", channel_id=channel_id)
        return Redirect("/admin/channels", status_code=303)

    @post("/{channel_id:int}/test")
    async def test(self, db: AsyncSession, user: User, state: State, channel_id: int) -> Redirect:
        """Post a test message now and keep the channel's answer on the robot; the page shows it."""
        row = await self._robot(db, channel_id)
        robot = open_robot(channel_ring(state.settings), row.kind, row.endpoint)
        sent_at = datetime.now(UTC)
        if robot is None:
            answer, ok = "Webhook 已无法解开（安装密钥已更换），请点“修改”重新填写 Webhook 地址", False
        else:
            message = Message(
                key=f"channel-test/{row.id}/{uuid.uuid4().hex}", title=TEST_TITLE,
                body=f"这是政务公开办理系统发往「{row.name}」的测试消息，由{user.display_name}于"
                     f"{beijing(sent_at)}发送。收到即说明本群能收到办理提醒和督办消息，无需回复。",
                link=f"{state.settings.link_base}/")
            try:
                answer, ok = (await post_robot(robot, message)).detail, True
            except ChannelFailed as failed:
                answer, ok = failed.detail, False
        row.last_test_at, row.last_test_answer = sent_at, f"{OK if ok else FAILED}{answer}"[:500]
        if ok:  # it works again: the failing state a delivery left is over
            row.failing_since = None
        audit(db, user, "admin", "channel_tested",
              f"向{KIND_ZH[ChannelKind(row.kind)]}「{row.name}」发送测试消息：{'成功' if ok else '失败'}",
              channel_id=row.id, department_id=row.department_id, ok=ok, answer=answer[:300])
        await db.commit()
        log.info("channel_tested", channel_id=row.id, kind=row.kind, ok=ok)
        return Redirect(f"/admin/channels?tested={row.id}#channel-{row.id}", status_code=303)

    @post("/mail-test")
    async def mail_test(self, db: AsyncSession, user: User, state: State, data: Form) -> Template:
        """A test e-mail to the address typed; the page shows what the mail server answered."""
        settings: Settings = state.settings
        try:
            to = email_address(data.get("to") or "", field="to", required=True)
            smtp = smtp_of(settings)
            if smtp is None:
                raise InvalidInput("未配置邮件服务器，无法发送测试邮件：请先按下方说明设置 GONGKAI_SMTP_HOST 等参数，"
                                   "再重启系统", field="to")
        except InvalidInput as exc:
            return await self._page(db, user, state, status_code=400, failed=Failed("mail", exc, _typed(data)))
        sent_at = datetime.now(UTC)
        message = Message(
            key=f"mail-test/{uuid.uuid4().hex}", title=TEST_TITLE,
            body=f"这是政务公开办理系统的测试邮件，由{user.display_name}于{beijing(sent_at)}发送。"
                 "收到即说明系统能用电子邮件发送办理提醒和督办消息。",
            link=f"{settings.link_base}/")
        try:
            answer, ok = (await send_mail(smtp, to, "", message)).detail, True
        except ChannelFailed as failed:
            answer, ok = failed.detail, False
        # The address is staff personal data: neither the audit row nor the log holds it.
        audit(db, user, "admin", "mail_tested", f"发送测试邮件：{'成功' if ok else '失败'}", ok=ok,
              answer=answer[:300])
        await db.commit()
        log.info("mail_tested", ok=ok)
        return await self._page(db, user, state, mail_to=to, mail_result=(ok, answer))
