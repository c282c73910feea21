"""Logging in and out. Attempts are limited before the password is checked (web/throttle.py): per
account with growing delays, per address with a cap; both live in SQL, counted in one statement."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.errors import TooManyAttempts
from gongkai.logs import get_logger
from gongkai.passwords import verify_password
from models import AuditEvent, User
from web.deps import current_user_or_none
from web.render import page
from web.returns import CHANGE_PASSWORD, safe_next
from web.sessions import sign_in
from web.throttle import client_address, retry_after

log = get_logger(__name__)
WRONG = "用户名或密码错误"


class AuthController(Controller):
    include_in_schema = False

    @get("/login")
    async def login_page(self, request: Request, db: AsyncSession, next: str | None = None) -> Template | Redirect:
        if await current_user_or_none(request, db):
            return Redirect(safe_next(next))
        return await page("login.html", db, None, next=safe_next(next), username="", error=None)

    @post("/login")
    async def login(
        self, request: Request, db: AsyncSession, state: State,
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        username = (data.get("username") or "").strip()[:64]
        password = data.get("password") or ""
        target = safe_next(data.get("next"))
        if not username or not password:
            return await page("login.html", db, None, status_code=400, next=target, username=username,
                              error="请输入用户名和密码")
        client = client_address(request)
        try:
            attempt = await state.throttles.login(client, username)
        except TooManyAttempts as exc:  # refused without looking at the password
            response = await page("login.html", db, None, status_code=429, next=target, username=username,
                                  error=exc.message)
            response.headers.update(retry_after(exc))
            return response
        user = (await db.execute(select(User).where(User.username == username))).scalar_one_or_none()
        # argon2 takes a tenth of a second by design: off the event loop, so other pages go on.
        ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            log.info("login_failed", username=username, client=client)
            message = WRONG if (user is None or not ok) else "该账号已停用，请联系系统管理员"
            return await page("login.html", db, None, status_code=401, next=target, username=username,
                              error=message)
        await attempt.succeeded()
        db.add(AuditEvent(key=f"login/{user.id}/{datetime.now(UTC).isoformat()}", case_id="auth",
                          actor=user.username, action="login", summary=f"{user.display_name} 登录"))
        await db.commit()
        sign_in(request, user)  # a new session id: one planted before the login stays anonymous
        log.info("login", username=user.username)
        if user.must_change_password:  # set by an administrator: changed before anything else
            return Redirect(f"{CHANGE_PASSWORD}?next={quote(target, safe='/')}", status_code=303)
        return Redirect(target, status_code=303)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()  # its row and cookie go; a later session gets a new id
        return Redirect("/login")
