"""Form drafts (暂存): what a signed-in person typed in a long form and has not submitted yet, kept
per person, form and case so an expired session or a closed tab loses nothing. A person's own
scratch data, not case data: the web writes it, no workflow sees it. The fields are encrypted
(web/drafts.py): a reply draft may quote an applicant's personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class FormDraft(SQLModel, table=True):
    __tablename__ = "form_draft"

    user_id: int = Field(primary_key=True, foreign_key="account.id")
    key: str = Field(primary_key=True, max_length=160)  # "<form>:<case id>", e.g. "policy:PD-2026-000001"
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # AES-GCM sealed JSON of the fields
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
