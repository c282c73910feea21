"""Wall screens (大屏): the incident board, read-only, on a screen that nobody is signed in to.

A person's session ends after 8 hours; a wall screen must not go blank with it. An administrator
makes a display link (/admin/displays): a random token in the URL, audited, listed, revocable. The
display URL shows the incident board as the 公开办 sees it (the same fragment, incident/_board.html),
without the header, forms or anything else, and refreshes itself; it sets up no session. Revoking
the link stops it: the next refresh turns the screen into a page that says so.

Only a hash of the token is stored (models/accounts.DisplayLink): the link is shown once, when it is
made. The board is reached by no other way than the token (nothing here accepts a session)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.errors import InvalidInput, NotFound
from gongkai.logs import get_logger
from gongkai.roles import Role
from models import Department, User
from models.accounts import DisplayLink
from web.audit import audit
from web.guards import admin_only
from web.incident import _context, clock_rows, open_incidents
from web.render import beijing, fragment, page
from web.returns import is_htmx

log = get_logger(__name__)
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
REFRESH_SECONDS = 15
SEEN_EVERY = timedelta(minutes=5)  # how often a screen's last visit is written (not at every refresh)
# Whom the board is shown as: the 公开办's head sees every open incident, as on /incidents/board.
BOARD_VIEWER = User(id=0, username="display", display_name="大屏", role=Role.OFFICE_HEAD, department_id=0,
                    password_hash="")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _link(db: AsyncSession, token: str) -> DisplayLink | None:
    if not 20 <= len(token) <= 100:
        return None
    found = await db.execute(select(DisplayLink).where(DisplayLink.token_hash == token_hash(token)))
    return found.scalar_one_or_none()


async def board_context(db: AsyncSession) -> dict[str, Any]:
    """What incident/_board.html needs, as the incident board gives it to the 公开办."""
    now = datetime.now(CST)
    items = [(r, clock_rows(ds, now)) for r, ds in await open_incidents(db, BOARD_VIEWER)]
    names = {d.id: d.name for d in (await db.execute(select(Department))).scalars()}
    return dict(items=items, names=names, now=now, display=True, **_context(now))


class DisplayController(Controller):
    """The screen's side: no session, no header, no forms."""

    path = "/display"
    include_in_schema = False

    @get("/{token:str}")
    async def show(self, request: Request, db: AsyncSession, token: str) -> Template | Response:
        link = await _link(db, token)
        if link is None or link.revoked_at is not None:
            if is_htmx(request):  # the screen's refresh: the whole screen shows why it stopped
                return Response(content=b"", status_code=410 if link else 404,
                                headers={"HX-Redirect": f"/display/{token}"})
            message = (f"此大屏链接“{link.name}”已于 {beijing(link.revoked_at)} 被系统管理员撤销，不再显示。"
                       "如需继续显示，请联系系统管理员重新生成大屏链接。") if link else \
                "大屏链接无效或不存在，请联系系统管理员。"
            return await page("display/stopped.html", db, None, status_code=410 if link else 404, message=message)
        now = datetime.now(UTC)
        if link.last_seen_at is None or now - link.last_seen_at > SEEN_EVERY:
            link.last_seen_at = now
            await db.commit()
        context = await board_context(db)
        if is_htmx(request):
            return fragment("incident/_board.html", None, **context)
        return await page("display/incidents.html", db, None, link=link, token=token, refresh=REFRESH_SECONDS,
                          **context)


class DisplayAdminController(Controller):
    """The administrator's side: make, list and revoke display links. Each change is audited."""

    path = "/admin/displays"
    include_in_schema = False
    guards = [admin_only]

    async def _page(self, db: AsyncSession, user: User, *, status_code: int = 200, created: str | None = None,
                    error: InvalidInput | None = None, name: str = "") -> Template:
        links = list((await db.execute(select(DisplayLink).order_by(col(DisplayLink.id).desc()))).scalars())
        return await page("admin/displays.html", db, user, status_code=status_code, links=links, created=created,
                          error=error.message if error else None, error_field=error.field if error else None,
                          typed_name=name, beijing=beijing)

    @get("/")
    async def index(self, db: AsyncSession, user: User) -> Template:
        return await self._page(db, user)

    @post("/")
    async def create(self, request: Request, db: AsyncSession, user: User, data: Form) -> Template:
        name = (data.get("name") or "").strip()
        if not name or len(name) > 100:
            error = InvalidInput("请填写大屏名称（100字以内），例如“应急指挥中心大屏”", field="name")
            return await self._page(db, user, status_code=400, error=error, name=name[:200])
        token = secrets.token_urlsafe(32)
        link = DisplayLink(token_hash=token_hash(token), name=name, created_by=user.username)
        db.add(link)
        await db.flush()
        audit(db, user, "admin", "display_created", f"新建大屏链接“{name}”（突发事件看板，只读）", link_id=link.id)
        await db.commit()
        log.info("display_created", link_id=link.id)
        return await self._page(db, user, created=f"{str(request.base_url).rstrip('/')}/display/{token}")

    @post("/{link_id:int}/revoke")
    async def revoke(self, db: AsyncSession, user: User, link_id: int) -> Redirect:
        link = await db.get(DisplayLink, link_id)
        if link is None:
            raise NotFound("大屏链接不存在")
        if link.revoked_at is None:
            link.revoked_at, link.revoked_by = datetime.now(UTC), user.username
            audit(db, user, "admin", "display_revoked", f"撤销大屏链接“{link.name}”", link_id=link.id)
            await db.commit()
            log.info("display_revoked", link_id=link.id)
        return Redirect("/admin/displays", status_code=303)
