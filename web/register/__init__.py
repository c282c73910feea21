"""登记台账: every case of every process, open or closed, searched and exported (issue 14).

The search is a POST: it may carry an applicant's name, phone or ID number, which must not end up
in URLs (browser history, logs, Referer). Opening a case from the list goes to the case's own page,
which checks who may see it as everywhere else."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.clock import CST
from gongkai.disclosure import DISPOSITIONS
from gongkai.errors import InvalidInput
from gongkai.logs import get_logger
from gongkai.lookup import LookupKeys
from gongkai.settings import Settings
from models import Department, User
from web.audit import audit
from web.errors import status_for
from web.register import export
from web.register.query import (
    BASIS_ZH,
    COUNTED,
    PROCESSES,
    STAGES,
    STATUS_ZH,
    Filters,
    parse,
    search,
    viewer,
    viewer_among,
)
from web.register.rows import masked_id, masked_phone
from web.render import beijing, fragment, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_SIZE = 50
MAX_PAGE = 10_000
log = get_logger(__name__)


def lookup_keys(state: State) -> LookupKeys:
    settings: Settings = state.settings
    return LookupKeys.of(settings.secret_key, settings.previous_secret_keys)


def _page_number(data: dict[str, Any]) -> int:
    raw = data.get("page")
    return min(int(raw), MAX_PAGE) if isinstance(raw, str) and raw.isdigit() and int(raw) >= 1 else 1


class RegisterController(Controller):
    path = "/register"
    include_in_schema = False

    async def _show(self, request: Request, db: AsyncSession, state: State, user: User, data: dict[str, Any],
                    notice: str | None = None, status_code: int = 200) -> Template:
        departments = list((await db.execute(select(Department).order_by(col(Department.id)))).scalars())
        error: InvalidInput | None = None
        try:
            f = parse(data)
        except InvalidInput as exc:
            f, error = Filters(), exc
        number = _page_number(data)
        total, rows = (0, []) if error else await search(db, f, viewer_among(user, departments), lookup_keys(state),
                                                         offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        context = dict(
            rows=rows, total=total, counted=COUNTED, page_number=number,
            pages=max(1, -(-min(total, COUNTED) // PAGE_SIZE)),
            form=f.form() if error is None else {k: v for k, v in data.items() if isinstance(v, str)},
            error=error.message if error else notice, error_field=error.field if error else None,
            departments=departments, dept_names={d.id: d.name for d in departments}, processes=PROCESSES,
            stages=STAGES, status_zh=STATUS_ZH, basis_zh=BASIS_ZH,
            dispositions={k: v[0] for k, v in DISPOSITIONS.items()}, masked_id=masked_id,
            masked_phone=masked_phone, beijing=beijing, export_max=export.MAX_ROWS)
        status = status_for(error) if error else status_code
        if request.headers.get("hx-request") and request.headers.get("hx-target") == "register-results":
            return fragment("register/_results.html", user, status_code=status, swapped=True, **context)
        return await page("register/index.html", db, user, status_code=status, **context)

    @get("/")
    async def index(self, request: Request, db: AsyncSession, state: State, user: User) -> Template:
        return await self._show(request, db, state, user, {})

    @post("/", status_code=200)
    async def find(self, request: Request, db: AsyncSession, state: State, user: User, data: Form) -> Template:
        return await self._show(request, db, state, user, data)

    @post("/export", status_code=200)
    async def export(self, request: Request, db: AsyncSession, state: State, user: User, data: Form
                     ) -> Response | Template:
        """The whole filtered result as XLSX, at most export.MAX_ROWS rows; audited."""
        try:
            f = parse(data)
        except InvalidInput:
            return await self._show(request, db, state, user, data)
        total, rows = await search(db, f, await viewer(db, user), lookup_keys(state), limit=export.MAX_ROWS,
                                   counted=export.MAX_ROWS)
        if total > export.MAX_ROWS:
            return await self._show(request, db, state, user, data, status_code=400, notice=(
                f"符合条件的记录超过单次导出上限 {export.MAX_ROWS} 条，"
                "请缩小筛选范围（如按日期或部门）后再导出"))
        departments = {d.id: d.name for d in (await db.execute(select(Department))).scalars()}
        body = export.workbook(rows, departments)
        audit(db, user, "register", "register_exported", f"导出登记台账（{total} 条）", rows=total, filters=f.used(),
              user_id=user.id, role=str(user.role))
        await db.commit()
        log.info("register_exported", rows=total)
        name = f"register-{datetime.now(CST):%Y%m%d-%H%M}.xlsx"
        return Response(body, media_type=export.MEDIA_TYPE, status_code=200,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
