"""Departments, accounts, sessions and login throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Role(StrEnum):
    OFFICER = "officer"
    DEPT_HEAD = "dept_head"
    OFFICE_HEAD = "office_head"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    PRINCIPAL_HEAD = "principal_head"  # 主要负责人: leads in major emergencies (C14)
    ADMIN = "admin"


ROLE_ZH = {
    Role.OFFICER: "经办人",
    Role.DEPT_HEAD: "部门负责人",
    Role.OFFICE_HEAD: "公开办负责人",
    Role.SUPERVISOR: "督办人员",
    Role.LEADER: "领导",
    Role.PRINCIPAL_HEAD: "主要负责人",
    Role.ADMIN: "系统管理员",
}


# Roles that see every department's cases, boards and reports.
WIDE_ROLES = frozenset({"office_head", "supervisor", "leader", "principal_head", "admin"})


class DepartmentKind(StrEnum):
    DEPARTMENT = "department"
    OPENNESS_OFFICE = "openness_office"
    GENERAL_OFFICE = "general_office"


DEPARTMENT_KIND_ZH = {
    DepartmentKind.DEPARTMENT: "业务部门",
    DepartmentKind.OPENNESS_OFFICE: "政务公开办",
    DepartmentKind.GENERAL_OFFICE: "政府办公室",
}


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


class WebSession(SQLModel, table=True):
    """Server-side session store (litestar Store protocol, see web/sessions.py)."""

    __tablename__ = "web_session"

    key: str = Field(primary_key=True, max_length=128)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class LoginFailure(SQLModel, table=True):
    """Failed logins per account name and per client address, for the growing delay."""

    __tablename__ = "login_failure"

    key: str = Field(primary_key=True, max_length=200)
    count: int = 0
    last_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
