"""Letters (告知书) generated from templates with a case's data, kept with the case."""

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
    body: str  # rendered, escaped HTML
    public: bool = True  # shown to the applicant
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
