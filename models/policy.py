"""Policy documents and their interpretation (三同步), projected from their workflows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class PolicyCase(SQLModel, table=True):
    __tablename__ = "policy_case"

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
