"""Logging in and out, with a growing delay after wrong passwords and a temporary lockout after
many of them (the delay alone does not slow guesses sent in parallel)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.logs import get_logger
from gongkai.passwords import verify_password
from models import AuditEvent, LoginFailure, User
from web.deps import current_user_or_none
from web.render import page
from web.sessions import sign_in

log = get_logger(__name__)
MAX_DELAY = 8.0
WRONG = "用户名或密码错误"
# Recent failures (the window runs from the last one) that lock logins: per account name, and per
# client address with a higher bar, since an office may share one address.
LOCK_WINDOW = timedelta(minutes=15)
LOCK_AFTER = {"user": 10, "addr": 30}
LOCKED = "登录失败次数过多，已暂时锁定，请15分钟后再试"


def delay_for(failures: int, base: float) -> float:
    """No delay for the first two mistakes, then base, 2·base, 4·base … up to MAX_DELAY."""
    return 0.0 if failures < 2 else min(MAX_DELAY, base * 2 ** (failures - 2))


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _recent(row: LoginFailure, now: datetime) -> bool:
    return row.last_at > now - LOCK_WINDOW


async def _failures(db: AsyncSession, keys: list[str]) -> dict[str, int]:
    """Recent failures per key; older ones no longer count."""
    now = datetime.now(UTC)
    rows = (await db.execute(select(LoginFailure).where(LoginFailure.key.in_(keys)))).scalars()
    return {row.key: row.count for row in rows if _recent(row, now)}


def locked(failures: dict[str, int]) -> bool:
    return any(count >= LOCK_AFTER[key.split(":", 1)[0]] for key, count in failures.items())


async def _record_failure(db: AsyncSession, keys: list[str]) -> None:
    now = datetime.now(UTC)
    for key in keys:
        row = await db.get(LoginFailure, key)
        if row is None:
            db.add(LoginFailure(key=key, count=1, last_at=now))
        else:
            row.count, row.last_at = (row.count + 1 if _recent(row, now) else 1), now
    await db.commit()


class AuthController(Controller):
    include_in_schema = False

    @get("/login")
    async def login_page(self, request: Request, db: AsyncSession, next: str | None = None) -> Template | Redirect:
        if await current_user_or_none(request, db):
            return Redirect(_safe_next(next))
        return await page("login.html", db, None, next=_safe_next(next), username="", error=None)

    @post("/login")
    async def login(
        self, request: Request, db: AsyncSession, state: State,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        username = (data.get("username") or "").strip()[:64]
        password = data.get("password") or ""
        target = _safe_next(data.get("next"))
        client = request.client.host if request.client else "unknown"
        keys = [f"user:{username.lower()}", f"addr:{client}"]
        failures = await _failures(db, keys)
        await state.sleep(delay_for(max(failures.values(), default=0), state.login_delay_base))
        if locked(failures):  # refused without looking at the password, and not counted again
            log.info("login_locked", username=username, client=client)
            return await page("login.html", db, None, status_code=429, next=target, username=username,
                              error=LOCKED)
        if not username or not password:
            return await page("login.html", db, None, status_code=400, next=target, username=username,
                              error="请输入用户名和密码")
        user = (await db.execute(select(User).where(User.username == username))).scalar_one_or_none()
        # argon2 takes a tenth of a second by design: off the event loop, so other pages go on.
        ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            await _record_failure(db, keys)
            log.info("login_failed", username=username, client=client)
            message = WRONG if (user is None or not ok) else "该账号已停用，请联系系统管理员"
            return await page("login.html", db, None, status_code=401, next=target, username=username,
                              error=message)
        await db.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
        db.add(AuditEvent(key=f"login/{user.id}/{datetime.now(UTC).isoformat()}", case_id="auth",
                          actor=user.username, action="login", summary=f"{user.display_name} 登录"))
        await db.commit()
        sign_in(request, user)  # a new session id: one planted before the login stays anonymous
        log.info("login", username=user.username)
        return Redirect(target)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()  # its row and cookie go; a later session gets a new id
        return Redirect("/login")
