"""Versions of the working-day calendar: every change is a new version, never an edit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class CalendarVersion(SQLModel, table=True):
    __tablename__ = "calendar_version"
    __table_args__ = (UniqueConstraint("region", "year", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    region: str = Field(max_length=32, index=True)
    year: int = Field(index=True)
    version: int
    data: dict = Field(sa_column=Column(JSONType, nullable=False))
    origin: str = Field(max_length=16)  # bundled, ui, import
    note: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
