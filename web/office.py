"""管理 › 本机关信息: the office's particulars every letter carries (name, 文号 代字, address,
phone, the reconsideration body and court its replies name) and its electronic seal. Audited."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai import blobs
from gongkai.errors import InvalidInput, NotFound
from gongkai.office import FIELDS, check_office, check_seal
from models import OfficeProfile, User
from models.base import utcnow
from web.audit import audit
from web.guards import admin_only
from web.render import page

MultiPart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class OfficeController(Controller):
    path = "/admin/office"
    include_in_schema = False
    guards = [admin_only]

    async def _page(self, db: AsyncSession, user: User, *, form: dict[str, str] | None = None,
                    refusal: InvalidInput | None = None) -> Template:
        row = await db.get(OfficeProfile, 1) or OfficeProfile()
        shown = form if form is not None else {name: getattr(row, name) for name, *_ in FIELDS}
        return await page("admin/office.html", db, user, status_code=400 if refusal else 200, form=shown,
                          fields=FIELDS, seal=row.seal_sha256, error=refusal.message if refusal else None,
                          error_field=refusal.field if refusal else None)

    @get("/")
    async def show(self, db: AsyncSession, user: User) -> Template:
        return await self._page(db, user)

    @post("/")
    async def save(self, db: AsyncSession, user: User, data: MultiPart) -> Template | Redirect:
        form = {name: data[name] for name, *_ in FIELDS if isinstance(data.get(name), str)}
        upload = data.get("seal")
        try:
            values = check_office(form)
            seal = None
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(blobs.MAX_BYTES + 1)
                check_seal(upload.filename, content)
                seal = content
        except InvalidInput as exc:
            return await self._page(db, user, form=form, refusal=exc)  # what was typed comes back
        row = await db.get(OfficeProfile, 1)
        if row is None:
            row = OfficeProfile(id=1)
            db.add(row)
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        for name, value in values.items():
            setattr(row, name, value)
        if seal is not None:
            row.seal_sha256 = blobs.save(seal)
            changed.append("seal")
        elif data.get("remove_seal") == "on" and row.seal_sha256:
            row.seal_sha256 = None
            changed.append("seal_removed")
        if changed:
            row.updated_by, row.updated_at = user.username, utcnow()
            audit(db, user, "admin", "office_updated", "修改本机关信息：" + "、".join(_zh(c) for c in changed),
                  changed=changed, seal_sha256=row.seal_sha256)
        await db.commit()
        return Redirect("/admin/office")

    @get("/seal")
    async def seal(self, db: AsyncSession) -> Response:
        row = await db.get(OfficeProfile, 1)
        if row is None or not row.seal_sha256:
            raise NotFound("尚未上传电子印章")
        content = blobs.read(row.seal_sha256)
        return Response(content, media_type=blobs.sniff(content) or "application/octet-stream")


def _zh(name: str) -> str:
    return {**{n: what for n, what, *_ in FIELDS}, "seal": "电子印章", "seal_removed": "删除电子印章"}[name]
