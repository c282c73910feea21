"""公开目录 (/catalogue): the office's 主动公开基本目录. Every signed-in user may read it; administrators
and the office head keep it: add and edit entries (never delete: deactivate), import and export it
as XLSX in the columns offices use, and load the starter catalogue into an empty one. Every change
is audited (web/audit.py); an import is all rows or none (gongkai/catalogue.py checks them first)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.catalogue import (
    EACH_DEPARTMENT,
    MAX_FILE,
    METHOD,
    Entry,
    entry_of_form,
    limit_text,
    parse_rows,
    read_xlsx,
    sheet_row,
    starter_entries,
    write_xlsx,
)
from gongkai.clock import CST
from gongkai.errors import Conflict, InvalidInput, NotFound
from gongkai.fields import MAX_ID
from gongkai.logs import get_logger
from gongkai.publication import CHANNELS, KINDS, rule_for
from gongkai.rule_store import current_book
from models import CatalogueEntry, Department, User
from models.base import utcnow
from web.audit import audit
from web.guards import catalogue_keepers
from web.render import page

log = get_logger(__name__)
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FIELDS = ("name", "content", "basis", "kind", "department_id", "channels", "audience", "secrecy_review")


def _entry(row: CatalogueEntry) -> Entry:
    return Entry(name=row.name, kind=row.kind, channels=list(row.channels), content=row.content, basis=row.basis,
                 department_id=row.department_id, audience=row.audience, secrecy_review=row.secrecy_review)


def _form_of(row: CatalogueEntry | None) -> dict[str, Any]:
    if row is None:
        return {"audience": "全社会", "secrecy_review": "1", "channels": [], "kind": "", "department_id": ""}
    return {"name": row.name, "content": row.content, "basis": row.basis, "kind": row.kind,
            "department_id": "" if row.department_id is None else str(row.department_id),
            "channels": list(row.channels), "audience": row.audience,
            "secrecy_review": "1" if row.secrecy_review else "0"}


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    form = {k: v for k, v in data.items() if k in FIELDS}
    channels = data.get("channels")
    form["channels"] = [channels] if isinstance(channels, str) else list(channels or [])
    return form


async def _departments(db: AsyncSession) -> list[Department]:
    return list((await db.execute(select(Department).order_by(col(Department.id)))).scalars())


async def _limits(db: AsyncSession) -> dict[str, str]:
    """Each kind's 时限 under the office's current rules."""
    book = await current_book(db)
    return {kind: limit_text(rule_for(kind, book)) for kind in KINDS}


async def _row(db: AsyncSession, entry_id: int) -> CatalogueEntry:
    row = await db.get(CatalogueEntry, entry_id) if 0 < entry_id <= MAX_ID else None  # fits the column
    if row is None:
        raise NotFound("目录条目不存在")
    return row


def _apply(row: CatalogueEntry, entry: Entry, user: User) -> list[str]:
    """Write `entry` onto `row`; the names of the fields that changed."""
    changed = [name for name, value in asdict(entry).items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, getattr(entry, name))
    row.updated_by, row.updated_at = user.username, utcnow()
    return changed


class CatalogueController(Controller):
    path = "/catalogue"
    include_in_schema = False

    @get("/")
    async def index(self, db: AsyncSession, user: User, department: str = "", kind: str = "",
                    loaded: int | None = None, saved: int | None = None) -> Template:
        q = select(CatalogueEntry)
        if department == "each":
            q = q.where(col(CatalogueEntry.department_id).is_(None))
        elif department.isdigit() and int(department) <= MAX_ID:
            q = q.where(CatalogueEntry.department_id == int(department))
        if kind in KINDS:
            q = q.where(CatalogueEntry.kind == kind)
        rows = list((await db.execute(q.order_by(col(CatalogueEntry.active).desc(),
                                                 col(CatalogueEntry.id)))).scalars())
        total = (await db.execute(select(func.count()).select_from(CatalogueEntry))).scalar_one()
        departments = await _departments(db)
        return await page("catalogue/index.html", db, user, rows=rows, total=total, departments=departments,
                          names={d.id: d.name for d in departments}, limits=await _limits(db), kinds=KINDS,
                          channels=CHANNELS, each=EACH_DEPARTMENT, method=METHOD,
                          filters={"department": department, "kind": kind}, loaded=loaded,
                          saved=saved)

    # -- one entry ------------------------------------------------------------------------------------
    async def _form_page(self, db: AsyncSession, user: User, row: CatalogueEntry | None, form: dict[str, Any],
                         *, errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        return await page("catalogue/form.html", db, user, status_code=status_code, row=row, form=form,
                          errors=errors or {}, departments=[d for d in await _departments(db)
                                                            if d.active or (row and d.id == row.department_id)],
                          kinds=KINDS, limits=await _limits(db), channels=CHANNELS, each=EACH_DEPARTMENT)

    async def _checked(self, db: AsyncSession, data: dict[str, Any],
                       row: CatalogueEntry | None) -> tuple[Entry, dict[str, str]]:
        entry, errors = entry_of_form(data, [d.id for d in await _departments(db) if d.id is not None])
        if "name" not in errors:
            q = select(CatalogueEntry.id).where(CatalogueEntry.name == entry.name)
            q = q.where(col(CatalogueEntry.department_id).is_(None) if entry.department_id is None
                        else CatalogueEntry.department_id == entry.department_id)
            if row is not None:
                q = q.where(CatalogueEntry.id != row.id)
            if (await db.execute(q)).first():
                errors["name"] = "同一主体已有同名条目，请修改名称或编辑已有条目"
        return entry, errors

    @get("/new", guards=[catalogue_keepers])
    async def new_form(self, db: AsyncSession, user: User) -> Template:
        return await self._form_page(db, user, None, _form_of(None))

    @post("/new", guards=[catalogue_keepers])
    async def create(self, db: AsyncSession, user: User, data: Form) -> Template | Redirect:
        entry, errors = await self._checked(db, data, None)
        if errors:
            return await self._form_page(db, user, None, _typed(data), errors=errors, status_code=400)
        row = CatalogueEntry(**asdict(entry), created_by=user.username, updated_by=user.username)
        db.add(row)
        await db.flush()
        audit(db, user, "admin", "catalogue_created", f"公开目录新增条目“{entry.name}”", entry=row.id)
        await db.commit()
        log.info("catalogue_created", entry=row.id)
        return Redirect(f"/catalogue?saved={row.id}", status_code=303)

    @get("/{entry_id:int}", guards=[catalogue_keepers])
    async def edit_form(self, db: AsyncSession, user: User, entry_id: int) -> Template:
        row = await _row(db, entry_id)
        return await self._form_page(db, user, row, _form_of(row))

    @post("/{entry_id:int}", guards=[catalogue_keepers])
    async def edit(self, db: AsyncSession, user: User, entry_id: int, data: Form) -> Template | Redirect:
        row = await _row(db, entry_id)
        entry, errors = await self._checked(db, data, row)
        if errors:
            return await self._form_page(db, user, row, _typed(data), errors=errors, status_code=400)
        changed = _apply(row, entry, user)
        if changed:
            audit(db, user, "admin", "catalogue_updated", f"修改公开目录条目“{entry.name}”", entry=row.id,
                  fields=changed)
        await db.commit()
        return Redirect(f"/catalogue?saved={row.id}", status_code=303)

    @post("/{entry_id:int}/active", guards=[catalogue_keepers])
    async def set_active(self, db: AsyncSession, user: User, entry_id: int, data: Form) -> Redirect:
        row = await _row(db, entry_id)
        active = data.get("active") == "1"
        if row.active != active:
            row.active, row.updated_by, row.updated_at = active, user.username, utcnow()
            audit(db, user, "admin", "catalogue_activated" if active else "catalogue_deactivated",
                  f"{'启用' if active else '停用'}公开目录条目“{row.name}”", entry=row.id)
            await db.commit()
        return Redirect("/catalogue", status_code=303)

    # -- the starter catalogue ------------------------------------------------------------------------
    @post("/starter", guards=[catalogue_keepers])
    async def load_starter(self, db: AsyncSession, user: User) -> Redirect:
        if (await db.execute(select(func.count()).select_from(CatalogueEntry))).scalar_one():
            raise Conflict("公开目录已有条目，标准目录只能载入到空目录中（可逐条新增或导入表格）")
        entries = starter_entries()
        for entry in entries:
            db.add(CatalogueEntry(**asdict(entry), created_by=user.username, updated_by=user.username))
        audit(db, user, "admin", "catalogue_starter_loaded", f"载入标准目录（{len(entries)} 条）", count=len(entries))
        await db.commit()
        return Redirect(f"/catalogue?loaded={len(entries)}", status_code=303)

    # -- export and import ----------------------------------------------------------------------------
    @get("/export")
    async def export(self, db: AsyncSession, user: User) -> Response[bytes]:
        rows = list((await db.execute(select(CatalogueEntry).where(col(CatalogueEntry.active))
                                      .order_by(col(CatalogueEntry.id)))).scalars())
        names = {d.id: d.name for d in await _departments(db)}
        limits = await _limits(db)
        body = write_xlsx(sheet_row(_entry(r), names.get(r.department_id, EACH_DEPARTMENT)
                                    if r.department_id is not None else EACH_DEPARTMENT, limits.get(r.kind, ""))
                          for r in rows)
        day = datetime.now(CST).date().isoformat()
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="catalogue-{day}.xlsx"'})

    async def _import_page(self, db: AsyncSession, user: User, *, status_code: int = 200,
                           problems: list[str] | None = None, result: dict[str, Any] | None = None) -> Template:
        return await page("catalogue/import.html", db, user, status_code=status_code, problems=problems or [],
                          result=result, max_mb=MAX_FILE // 1024 // 1024, each=EACH_DEPARTMENT)

    @get("/import", guards=[catalogue_keepers])
    async def import_form(self, db: AsyncSession, user: User) -> Template:
        return await self._import_page(db, user)

    @post("/import", guards=[catalogue_keepers])
    async def import_file(
        self, db: AsyncSession, user: User,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._import_page(db, user, status_code=400, problems=["请选择要导入的表格文件（.xlsx）"])
        departments = await _departments(db)
        try:
            rows = read_xlsx(await upload.read(MAX_FILE + 1))
            entries, bad = parse_rows(rows, {d.name: d.id for d in departments if d.id is not None},
                                      await _limits(db))
        except InvalidInput as exc:
            return await self._import_page(db, user, status_code=400, problems=[exc.message])
        if bad:
            return await self._import_page(db, user, status_code=400, problems=[p.text() for p in bad])
        existing = {(r.name, r.department_id): r for r in (await db.execute(select(CatalogueEntry))).scalars()}
        created, updated, unchanged = 0, [], 0
        for _number, entry in entries:
            row = existing.get(entry.key())
            if row is None:
                db.add(CatalogueEntry(**asdict(entry), created_by=user.username, updated_by=user.username))
                created += 1
            elif _apply(row, entry, user):
                updated.append(entry.name)
            else:
                unchanged += 1
        audit(db, user, "admin", "catalogue_imported",
              f"导入公开目录表格 {upload.filename}：新增 {created} 条，更新 {len(updated)} 条，未变 {unchanged} 条",
              created=created, updated=len(updated), unchanged=unchanged)
        await db.commit()  # one transaction: every row or none
        log.info("catalogue_imported", created=created, updated=len(updated), unchanged=unchanged)
        return await self._import_page(db, user, result={"created": created, "updated": updated,
                                                         "unchanged": unchanged, "filename": upload.filename})
