"""Request dependencies: a database session, the logged-in user, the Temporal client."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar import Request
from litestar.datastructures import State
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from gongkai.errors import NotAuthenticated, PasswordChangeRequired
from gongkai.logs import bind, get_logger
from gongkai.temporal import connect
from models import User
from web.sessions import drop, matches

log = get_logger(__name__)


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.session_factory() as session:
        yield session


async def current_user_or_none(request: Request, db: AsyncSession) -> User | None:
    user_id = request.session.get("user_id") if request.scope.get("session") else None
    if not user_id:
        return None
    user = await db.get(User, user_id)
    if user is None or not user.active or not matches(request, user_id, user.role, user.department_id,
                                                       user.password_changed_at):
        drop(request)  # deactivated, or role or department changed: sign in again
        return None
    bind(actor=user.username, path=request.url.path)
    return user


async def provide_user(request: Request, db: AsyncSession) -> User:
    """The signed-in user; one whose password an administrator set must change it first (every page
    that needs a user sends them to /account/password until they have)."""
    user = await current_user_or_none(request, db)
    if user is None:
        raise NotAuthenticated("请先登录")
    if user.must_change_password:
        raise PasswordChangeRequired("请先修改管理员设置的初始密码")
    return user


async def temporal_client(state: State) -> Client | None:
    """The Temporal client, connected lazily so the web starts even while Temporal does not."""
    if state.get("temporal") is None and state.get("temporal_address"):
        try:
            state.temporal = await connect(state.settings, state.temporal_address)
        except Exception as exc:  # Temporal down: pages still work; actions say so
            log.warning("temporal_unavailable", error=str(exc))
            return None
    return state.get("temporal")
