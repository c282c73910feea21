"""Letters (告知书) generated from templates with a case's data, kept with the case, and the
counters their 文号 are numbered from."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Letter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    case_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=48)  # reply_GRANTED, correction, extension, ...
    title: str = Field(max_length=200)
    body: str  # rendered, escaped HTML, frozen at issuance
    public: bool = True  # shown to the applicant
    doc_no: str = Field(default="", max_length=80)  # 发文字号, e.g. 某府办公开答〔2026〕12号; "" before issue 14
    seal_sha256: str | None = Field(default=None, max_length=64)  # the office's seal when it was issued
    pdf_sha256: str | None = Field(default=None, max_length=64)  # the PDF made on first download, kept
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LetterCounter(SQLModel, table=True):
    """The last 文号 number given in a series: per agency code, year and kind of letter."""

    __tablename__ = "letter_counter"

    agency_code: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=32)
    value: int = 0
