"""The office's particulars as letters and receipts read them. Until an administrator fills them in
(管理 › 本机关信息), letters say so in place of the missing values rather than invent any."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai import blobs, fields
from gongkai.errors import InvalidInput
from models.office import OfficeProfile

UNSET = "（未设置）"


@dataclass(frozen=True)
class Office:
    agency_name: str
    agency_code: str
    address: str
    postal_code: str
    phone: str
    reconsideration_body: str
    court: str
    seal_sha256: str | None

    @property
    def complete(self) -> bool:
        return all((self.agency_name, self.agency_code, self.phone, self.reconsideration_body, self.court))


def _office(row: OfficeProfile | None) -> Office:
    row = row or OfficeProfile()
    return Office(agency_name=row.agency_name or UNSET, agency_code=row.agency_code or "",
                  address=row.address, postal_code=row.postal_code, phone=row.phone or UNSET,
                  reconsideration_body=row.reconsideration_body or UNSET, court=row.court or UNSET,
                  seal_sha256=row.seal_sha256)


async def load_office(db: AsyncSession) -> Office:
    return _office(await db.get(OfficeProfile, 1))


# What the administrator's page edits: (field, what it is, limit, required).
FIELDS = (
    ("agency_name", "发文机关名称", 100, True),
    ("agency_code", "发文机关代字", 40, True),
    ("address", "通讯地址", 200, False),
    ("postal_code", "邮政编码", 10, False),
    ("phone", "联系电话", 40, True),
    ("reconsideration_body", "行政复议机关", 200, True),
    ("court", "人民法院", 200, True),
)
SEAL_TYPES = frozenset({"image/png", "image/jpeg"})
_PHONE = set("0123456789-+()（） 转、,，")


def check_office(form: dict[str, str]) -> dict[str, str]:
    """The office's particulars from the form, stripped; the first bad one refused, by field."""
    values = {name: fields.text(form.get(name, ""), field=name, what=what, limit=limit, required=required)
              for name, what, limit, required in FIELDS}
    if any(c.isspace() or c in "〔〕[]［］()（）" for c in values["agency_code"]):
        raise InvalidInput("发文机关代字不能含空格或括号，年份和序号由系统编排（如：某府办公开）", field="agency_code")
    if values["postal_code"] and not (len(values["postal_code"]) == 6 and values["postal_code"].isascii()
                                      and values["postal_code"].isdigit()):
        raise InvalidInput("邮政编码应为6位数字", field="postal_code")
    if not set(values["phone"]) <= _PHONE or not any(c.isdigit() for c in values["phone"]):
        raise InvalidInput("联系电话只能包含数字、空格、括号、连字符和“转”", field="phone")
    if "法院" not in values["court"]:
        raise InvalidInput("请填写人民法院的全称（如：某某市中级人民法院）", field="court")
    return values


def check_seal(filename: str, content: bytes) -> str:
    """The seal image's content type: a PNG or JPEG, checked by its content (gongkai.blobs)."""
    try:
        ctype = blobs.check_upload(filename, content)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="seal") from None
    if ctype not in SEAL_TYPES:
        raise InvalidInput(f"电子印章只能是 PNG 或 JPEG 图片，“{filename}”不是", field="seal")
    return ctype
