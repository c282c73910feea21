"""Rate-limit counters shared by every web process: login attempts, /track lookups, public intake."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Throttle(SQLModel, table=True):
    """One counter per key ("login-user:<name>", "track-case:<id>", …), counted and checked in one
    statement by gongkai.throttle; an attempt is let through when `granted` equals `attempts`."""

    __tablename__ = "throttle"

    key: str = Field(primary_key=True, max_length=200)
    attempts: int = 0  # counted in the current window, refused ones included
    granted: int = 0  # the number of the last attempt let through
    window_start: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)  # refused until then
