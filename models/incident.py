"""Major incidents and public-opinion cases, projected from their workflows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, grams_index, utcnow


class IncidentCase(SQLModel, table=True):
    __tablename__ = "incident_case"
    __table_args__ = (Index("ix_incident_case_detected", "detected_at", "id"),
                      grams_index("ix_incident_title_grams", "title"))

    id: str = Field(primary_key=True, max_length=32)  # IN-2026-000001, also the workflow id
    title: str = Field(max_length=300)
    grade: str = Field(max_length=32)
    source: str = Field(max_length=32)
    location: str = Field(default="", max_length=200)
    department_id: int = Field(index=True)  # the lead responsible department (C14)
    co_departments: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    detected_at: datetime = Field(sa_type=UTCDateTime)
    stage: str = Field(max_length=32, index=True)
    triage: str = Field(default="", max_length=32)
    first_release_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    press_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    releases: int = 0
    late_at_registration: bool = False  # registered after a clock had already run out
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
