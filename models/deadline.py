"""Deadlines, projected from the workflows that own them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, text
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class Deadline(SQLModel, table=True):
    # (state, closed_at): the board's count of the year's met and late clocks reads the index alone;
    # (state, due_at, department_id): its count by department of the clocks due soon, too (SQLite does
    # not use the partial index below for a bound state = ?).
    # The running clocks are a few thousand among a year's hundreds of thousands: a partial index of
    # them lets both planners know it, and start a department's list or the board from them.
    __table_args__ = (Index("ix_deadline_state_due", "state", "due_at", "department_id"),
                      Index("ix_deadline_state_closed", "state", "closed_at"),
                      Index("ix_deadline_running", "due_at", "department_id", sqlite_where=text("state = 'running'"),
                            postgresql_where=text("state = 'running'")))

    id: str = Field(primary_key=True, max_length=120)  # "<case id>/<rule>[/<n>]"
    case_id: str = Field(max_length=64, index=True)
    workflow_id: str = Field(max_length=120)
    process: str = Field(max_length=32)
    rule: str = Field(max_length=64)
    label: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    amount: int
    department_id: int | None = Field(default=None, index=True)
    assignee_id: int | None = Field(default=None, index=True)
    start_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_day: date | None = None
    state: str = Field(max_length=16)  # running, paused, met, late, cancelled
    provisional: bool = False
    level: int = 0  # highest escalation level reached
    explanation: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    spec: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
