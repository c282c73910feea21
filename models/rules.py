"""Versions of the office's time-limit rules (its jurisdiction profile): every change is a new
version, never an edit, so a case can always be traced to the rules it ran by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class RuleVersion(SQLModel, table=True):
    __tablename__ = "rule_version"
    __table_args__ = (UniqueConstraint("profile", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    profile: str = Field(max_length=40, index=True)  # the installation's profile key (settings)
    number: int  # 1, 2, … within the profile
    name: str = Field(max_length=100)  # the profile's name, as the admin page shows it
    region: str = Field(max_length=32)  # the working-day calendar's region
    source: str = Field(default="", max_length=500)
    rules: dict = Field(sa_column=Column(JSONType, nullable=False))  # rule name: its full terms
    # What differs from the version before: [{rule, label, field, from, to, kind}].
    changes: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    origin: str = Field(max_length=16)  # shipped, ui, import, upgrade
    reason: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=64)
    created_by_name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
