"""批量导入公开事项 (/publication/import): a department's many items at once from a CSV file (a
month of penalty decisions). Every row is checked first; a file with any bad row opens nothing and
lists the rows. Each row's business number (业务编号) is its idempotency key: a file uploaded again
opens none of its items twice, and the page says so."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.publication import PublicationInput
from gongkai import publication as rules
from gongkai import publication_import as csv_rows
from gongkai.clock import CST
from gongkai.errors import InvalidInput
from gongkai.roles import Role
from gongkai.rule_store import current_book
from models import Department, User
from web.audit import audit
from web.deps import temporal_client
from web.guards import requires
from web.publication_open import item_key, open_items
from web.render import page

IMPORTERS = frozenset({Role.OFFICER, Role.DEPT_HEAD, Role.OFFICE_HEAD})
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class PublicationImportController(Controller):
    path = "/publication/import"
    include_in_schema = False
    guards = [requires(IMPORTERS, "只有各部门经办人、负责人和公开办负责人可以导入公开事项")]

    @get("/")
    async def form(self, db: AsyncSession, user: User) -> Template:
        return await page("publication/import.html", db, user, columns=csv_rows.COLUMNS, kinds=rules.KINDS,
                          channels=rules.CHANNELS, result=None, problems=[], error="")

    @get("/template.csv")
    async def template(self) -> Response[bytes]:
        return Response(("\ufeff" + csv_rows.template()).encode(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=publication-import.csv"})

    @post("/")
    async def upload(self, db: AsyncSession, state: State, user: User, data: Upload) -> Template:
        upload = data.get("file")
        departments: dict[str, int] = {}
        for d in (await db.execute(select(Department).where(col(Department.active)))).scalars():
            assert d.id is not None
            departments[d.code] = departments[d.name] = d.id
        own = None if user.role == Role.OFFICE_HEAD else user.department_id
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInput("请选择要导入的 CSV 文件", field="file")
            text = csv_rows.decode(await upload.read(csv_rows.MAX_BYTES + 1))
            rows = csv_rows.read(text, departments, today=datetime.now(CST).date(), own_department=own)
        except InvalidInput as exc:
            problems = exc.detail.get("problems") or [exc.message]
            return await page("publication/import.html", db, user, status_code=400, columns=csv_rows.COLUMNS,
                              kinds=rules.KINDS, channels=rules.CHANNELS, result=None, problems=problems,
                              error=exc.message if not exc.detail.get("problems") else
                              f"有 {len(problems)} 行有问题，未导入任何事项。请更正后重新上传整个文件。")
        book = await current_book(db, rules.RULES)

        def make(row: csv_rows.Row) -> Any:
            return lambda case_id: PublicationInput(
                case_id, row.title, row.kind, row.department_id, row.triggered_at, list(row.channels),
                secrecy_review=row.secrecy_review, content=row.content, created_by=user.username, source="csv",
                external_key=row.external_key, rules=book)

        opened = await open_items(await temporal_client(state), state.task_queue, db,
                                  [(item_key(r.department_id, r.external_key), make(r)) for r in rows])
        audit(db, user, "publication", "publication_imported",
              f"批量导入公开事项：新开 {len(opened.new)} 件，已导入过 {len(opened.existing)} 件",
              new=len(opened.new), existing=len(opened.existing))
        await db.commit()
        return await page("publication/import.html", db, user, status_code=201 if opened.new else 200,
                          columns=csv_rows.COLUMNS, kinds=rules.KINDS, channels=rules.CHANNELS,
                          result=dataclasses.asdict(opened), problems=[], error="")
