"""The audit log: who did what and when, one row per event, never updated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=240, unique=True)
    case_id: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    summary: str = Field(max_length=500)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
