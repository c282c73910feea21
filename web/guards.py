"""Who may open a page at all: role sets, checked by Litestar guards before the handler runs,
and offered to templates as capabilities so a link is shown exactly where its page opens. Who may
act on a case is the process's action table (contracts), not this."""

from __future__ import annotations

from collections.abc import Iterable

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard
from sqlalchemy import select

from gongkai.errors import NotAuthenticated, PermissionDenied
from gongkai.roles import SUPERVISORS, WIDE_ROLES, Role
from models import User
from web.sessions import drop, matches

REGISTER_REQUEST = frozenset({Role.OFFICER, Role.DEPT_HEAD, Role.OFFICE_HEAD})
REGISTER_INCIDENT = frozenset({Role.OFFICER, Role.DEPT_HEAD, Role.OFFICE_HEAD, Role.SUPERVISOR, Role.LEADER,
                               Role.PRINCIPAL_HEAD})
DRAFT_POLICY = frozenset({Role.OFFICER, Role.DEPT_HEAD})
OVERSIGHT = WIDE_ROLES  # the boards, the annual report, every department's cases
ADMINS = frozenset({Role.ADMIN})
CATALOGUE = frozenset({Role.ADMIN, Role.OFFICE_HEAD})  # keep the 主动公开基本目录

CAPABILITIES = {
    "register_request": REGISTER_REQUEST, "register_incident": REGISTER_INCIDENT, "draft_policy": DRAFT_POLICY,
    "oversee": OVERSIGHT, "supervise": SUPERVISORS, "admin": ADMINS, "claim": frozenset({Role.OFFICER}),
    "catalogue": CATALOGUE,
}


def capabilities(role: str) -> dict[str, bool]:
    return {name: role in roles for name, roles in CAPABILITIES.items()}


async def role_of(connection: ASGIConnection) -> Role | None:
    """The signed-in account's role, read fresh (a deactivated account has none, nor a session
    signed in with another role or department)."""
    user_id = connection.session.get("user_id") if connection.scope.get("session") else None
    if not user_id:
        return None
    async with connection.app.state.session_factory() as db:
        found = (await db.execute(select(User.role, User.department_id, User.password_changed_at)
                                  .where(User.id == user_id, User.active))).first()
    if found is None or not matches(connection, user_id, found[0], found[1], found[2]):
        drop(connection)  # deactivated, or role or department changed: sign in again
        return None
    return Role(found[0])


def requires(roles: Iterable[Role], message: str) -> Guard:
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        role = await role_of(connection)
        if role is None:
            raise NotAuthenticated("请先登录")
        if role not in allowed:
            raise PermissionDenied(message)

    return guard


admin_only = requires(ADMINS, "只有系统管理员可以执行此操作")
oversight_only = requires(OVERSIGHT, "只有公开办、督办人员和领导可以查看")
catalogue_keepers = requires(CATALOGUE, "只有系统管理员和公开办负责人可以维护公开目录")
