"""Policy documents and their interpretation (三同步), projected from their workflows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, grams_index, utcnow


class PolicyCase(SQLModel, table=True):
    __tablename__ = "policy_case"
    __table_args__ = (Index("ix_policy_case_created", "created_at", "id"),
                      grams_index("ix_policy_title_grams", "title"))

    id: str = Field(primary_key=True, max_length=32)  # PD-2026-000001, also the workflow id
    title: str = Field(max_length=300)
    doc_number: str = Field(default="", max_length=100)
    issuance: str = Field(max_length=16)  # department, government (代拟稿), joint
    department_id: int = Field(index=True)  # the lead (drafting) department
    normative: bool = False
    disclosure_mode: str = Field(default="", max_length=16)
    disclosure_scope: str = Field(default="", max_length=16)
    stage: str = Field(max_length=32, index=True)
    document_version: int = 0
    returns: int = 0  # 退文 by the government office
    published_on: date | None = None
    interpretation_on: date | None = None
    state: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PolicyVersion(SQLModel, table=True):
    """A version of the document and its interpretation as it was submitted for sign-off, so a
    signer can see what changed since the version before."""

    __tablename__ = "policy_version"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # <case>/v<number>: one row per version, written once
    case_id: str = Field(max_length=32, index=True)
    number: int
    title: str = Field(default="", max_length=300)
    document_text: str = Field(default="", max_length=8000)  # gongkai.policy.TEXT_LIMIT
    plan_text: str = Field(default="", max_length=8000)  # gongkai.policy.TEXT_LIMIT
    materials_text: str = Field(default="", max_length=8000)  # gongkai.policy.TEXT_LIMIT
    submitted_by: str = Field(default="", max_length=64)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
