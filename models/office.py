"""The office's own particulars, which every letter it issues carries (one row, id 1)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class OfficeProfile(SQLModel, table=True):
    __tablename__ = "office_profile"

    id: int = Field(default=1, primary_key=True)
    agency_name: str = Field(default="", max_length=100)  # 发文机关, e.g. 某某市人民政府办公室
    agency_code: str = Field(default="", max_length=40)  # 发文机关代字 in the 文号, e.g. 某府办公开
    address: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", max_length=10)
    phone: str = Field(default="", max_length=40)
    reconsideration_body: str = Field(default="", max_length=200)  # 行政复议机关 named in replies
    court: str = Field(default="", max_length=200)  # 人民法院 named in replies
    seal_sha256: str | None = Field(default=None, max_length=64)  # the electronic seal image, in the blob store
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
