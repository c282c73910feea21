"""The office's particulars as letters and receipts read them. Until an administrator fills them in
(管理 › 本机关信息), letters say so in place of the missing values rather than invent any."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

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
