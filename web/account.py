"""A person's own account: changing the password (current one, the new one twice, the policy of
gongkai/passwords.py). Also the page every other page sends to after an administrator set the
password (a new account, a reset): until it is changed, nothing else opens (web/deps.py).

The current password is checked under the login's per-account limit (web/throttle.py), so a session
left open cannot be used to guess it. A change is audited and signs out the account's other sessions
(their password stamp no longer matches, web/sessions.py); this one continues under a new id.

/account shows the account and its work contacts (e-mail address, mobile number), which its owner
keeps up to date: reminders and escalations go to them (gongkai/channels.py). They are staff personal
data: the audit row says which changed, never the values, and nothing logs them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.contacts import email_address, mobile_number
from gongkai.errors import InvalidInput, NotAuthenticated, TooManyAttempts
from gongkai.logs import get_logger
from gongkai.passwords import hash_password, password_problem, verify_password
from models import Department, User
from web.audit import audit
from web.deps import current_user_or_none
from web.render import page
from web.returns import local_path
from web.sessions import sign_in
from web.throttle import client_address, retry_after

log = get_logger(__name__)
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
FIELDS = ("current_password", "new_password", "new_password2")


async def _signed_in(request: Request, db: AsyncSession) -> User:
    """The signed-in user, whether or not a change is due (this page is where it is made)."""
    user = await current_user_or_none(request, db)
    if user is None:
        raise NotAuthenticated("请先登录")
    return user


def _check(user: User, current_ok: bool, new: str, again: str, current: str) -> None:
    if not current_ok:
        raise InvalidInput("当前密码不正确", field="current_password")
    problem = password_problem(new)
    if problem:
        raise InvalidInput(problem, field="new_password")
    if new != again:
        raise InvalidInput("两次输入的新密码不一致", field="new_password2")
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同", field="new_password")


class AccountController(Controller):
    path = "/account"
    include_in_schema = False

    async def _page(self, db: AsyncSession, user: User, *, next: str | None, status_code: int = 200,
                    error: InvalidInput | TooManyAttempts | None = None, done: bool = False) -> Template:
        return await page("account/password.html", db, user, status_code=status_code, next=local_path(next) or "",
                          forced=user.must_change_password, done=done,
                          error=error.message if error else None, error_field=error.field if error else None)

    async def _contacts_page(self, db: AsyncSession, user: User, *, status_code: int = 200,
                             error: InvalidInput | None = None, typed: dict[str, str] | None = None,
                             done: bool = False) -> Template:
        department = await db.get(Department, user.department_id)
        return await page("account/index.html", db, user, status_code=status_code,
                          department=department.name if department else "", done=done,
                          typed=typed or {"email": user.email, "mobile": user.mobile},
                          error=error.message if error else None, error_field=error.field if error else None)

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        return await self._contacts_page(db, user)

    @post("/contacts")
    async def change_contacts(self, db: AsyncSession, user: User, data: Form) -> Template:
        typed = {"email": data.get("email") or "", "mobile": data.get("mobile") or ""}
        try:
            email, mobile = email_address(typed["email"]), mobile_number(typed["mobile"])
        except InvalidInput as exc:
            return await self._contacts_page(db, user, status_code=400, error=exc, typed=typed)
        changed = [k for k, v in {"email": email, "mobile": mobile}.items() if getattr(user, k) != v]
        if changed:
            user.email, user.mobile = email, mobile
            audit(db, user, "auth", "contacts_changed", f"{user.username} 修改了自己的联系方式", changed=changed)
            await db.commit()
            log.info("contacts_changed", username=user.username, changed=changed)
        return await self._contacts_page(db, user, done=True)

    @get("/password")
    async def password_page(self, request: Request, db: AsyncSession, next: str | None = None) -> Template:
        return await self._page(db, await _signed_in(request, db), next=next)

    @post("/password")
    async def change_password(self, request: Request, db: AsyncSession, state: State,
                              data: Form) -> Template | Redirect:
        user = await _signed_in(request, db)
        current, new, again = (data.get(name) or "" for name in FIELDS)
        target = local_path(data.get("next"))
        try:
            attempt = await state.throttles.login(client_address(request), user.username)
        except TooManyAttempts as exc:  # refused without looking at the password
            response = await self._page(db, user, next=target, status_code=429, error=exc)
            response.headers.update(retry_after(exc))
            return response
        ok = await asyncio.to_thread(verify_password, user.password_hash, current)
        try:
            _check(user, ok, new, again, current)
        except InvalidInput as exc:
            if ok:  # the right current password is not a failed login
                await attempt.succeeded()
            return await self._page(db, user, next=target, status_code=400, error=exc)
        await attempt.succeeded()
        forced = user.must_change_password
        user.password_hash = await asyncio.to_thread(hash_password, new)
        user.password_changed_at, user.must_change_password = datetime.now(UTC), False
        audit(db, user, "auth", "password_changed",
              f"{user.username} 修改了{'管理员设置的初始' if forced else '自己的'}密码", forced=forced)
        await db.commit()
        sign_in(request, user)  # a new id with the new password's stamp; other sessions end
        log.info("password_changed", username=user.username, forced=forced)
        if target:
            return Redirect(target, status_code=303)
        return await self._page(db, user, next=None, done=True)
