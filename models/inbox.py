"""Inbox tasks and in-app notifications. Both carry an idempotency key: the activity that
writes them may run twice, the row exists once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow

UNCLAIMED = text("status = 'open' AND assignee_id IS NULL")


class Task(SQLModel, table=True):
    __table_args__ = (
        # The inbox reads open tasks in due order: a department's unclaimed ones, a person's, all.
        Index("ix_task_open_dept_due", "status", "department_id", "assignee_id", "due_at"),
        Index("ix_task_open_assignee_due", "status", "assignee_id", "due_at"),
        Index("ix_task_open_role_due", "status", "role", "due_at"),
        Index("ix_task_open_due", "status", "due_at"),
        # A department's unclaimed work in due order: "assignee_id IS NULL" is no equality to the
        # planner, so the index above leaves its rows to sort; this one holds them in order.
        Index("ix_task_unclaimed_due", "department_id", "due_at", sqlite_where=UNCLAIMED, postgresql_where=UNCLAIMED),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    case_id: str = Field(max_length=64, index=True)
    workflow_id: str = Field(max_length=120)
    process: str = Field(max_length=32)
    kind: str = Field(max_length=64)
    title: str = Field(max_length=200)
    department_id: int | None = None
    role: str | None = Field(default=None, max_length=32)  # unclaimed tasks for a role
    assignee_id: int | None = None
    deadline_id: str | None = Field(default=None, max_length=120)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="open", max_length=16)  # open, done, cancelled
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=240, unique=True)
    user_id: int = Field(index=True)
    case_id: str = Field(max_length=64)
    deadline_id: str | None = Field(default=None, max_length=120)
    level: int = 0
    title: str = Field(max_length=200)
    body: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
