"""Departments, accounts and sessions (login throttling is in models/throttle.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from gongkai.roles import DEPARTMENT_KIND_ZH, ROLE_ZH, WIDE_ROLES, DepartmentKind, Role  # noqa: F401 (re-exported)
from models.base import UTCDateTime, utcnow


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    kind: str = Field(default=DepartmentKind.DEPARTMENT, max_length=32)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32, index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set by an administrator (a new account, a reset): the owner changes it before anything else.
    must_change_password: bool = False
    # Work contacts for messages outside the browser (gongkai/channels.py): e-mail, and the mobile
    # number a group robot @-mentions. Staff personal data: shown to administrators and the owner only.
    email: str = Field(default="", max_length=200)
    mobile: str = Field(default="", max_length=20)


class WebSession(SQLModel, table=True):
    """Server-side session store (litestar Store protocol, see web/sessions.py)."""

    __tablename__ = "web_session"

    key: str = Field(primary_key=True, max_length=128)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)



class DisplayLink(SQLModel, table=True):
    """A wall screen's read-only link to a board (大屏): made and revoked by an administrator, it
    belongs to no person's session, so it does not expire with one. Only a hash of its token is kept
    (like sessions'): the link itself is shown once, when it is made."""

    __tablename__ = "display_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=100)
    board: str = Field(default="incidents", max_length=32)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=64)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
