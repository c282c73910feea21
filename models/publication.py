"""Proactive disclosure (主动公开): the office's catalogue of what it must publish, and the publication
items projected from their workflows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, utcnow


class CatalogueEntry(SQLModel, table=True):
    """An entry of the 主动公开基本目录: a kind of information the office must publish, who publishes
    it, where, under which time limit, on which basis. Kept by administrators and the office head."""

    __tablename__ = "catalogue_entry"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)  # 名称
    content: str = Field(default="", max_length=1000)  # 内容
    basis: str = Field(default="", max_length=500)  # 依据
    kind: str = Field(max_length=32)  # gongkai.publication.KINDS: the rule its items run by (时限)
    department_id: int | None = Field(default=None, index=True)  # 主体 (None: each department its own)
    channels: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))  # 渠道
    audience: str = Field(default="全社会", max_length=100)  # 公开对象
    secrecy_review: bool = True
    active: bool = True
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PublicationItem(SQLModel, table=True):
    __tablename__ = "publication_item"
    __table_args__ = (Index("ix_publication_item_department_stage", "department_id", "stage"),
                      Index("ix_publication_item_source_key", "source", "external_key"),
                      # the assessment's figures, counted from the index alone
                      Index("ix_publication_item_month", "trigger_month", "department_id", "outcome"))

    id: str = Field(primary_key=True, max_length=32)  # PI-2026-000001, also the workflow id
    title: str = Field(max_length=300)
    kind: str = Field(max_length=32, index=True)
    catalogue_id: int | None = Field(default=None, index=True)
    department_id: int = Field(index=True)
    stage: str = Field(max_length=32, index=True)
    channels: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    published_channels: int = 0
    triggered_at: datetime = Field(sa_type=UTCDateTime)
    trigger_month: int = 0  # of triggered_at, Beijing time: 202609
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the last required channel
    outcome: str = Field(default="", max_length=16)  # met, late, cancelled ("" while open)
    source: str = Field(default="form", max_length=8)
    external_key: str = Field(default="", max_length=100)
    state: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
