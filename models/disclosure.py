"""Disclosure requests, projected from their workflows, with attachments and review outcomes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from models.base import JSONType, UTCDateTime, grams_index, utcnow


class DisclosureRequest(SQLModel, table=True):
    __tablename__ = "disclosure_request"
    __table_args__ = (
        Index("ix_disclosure_stage_dept", "stage", "department_id"),
        Index("ix_disclosure_received", "received_date"),
        Index("ix_disclosure_submitted", "submitted_at", "id"),
        Index("ix_disclosure_dept_submitted", "department_id", "submitted_at", "id"),
        grams_index("ix_disclosure_name_grams", "applicant_name"),
        grams_index("ix_disclosure_description_grams", "description"),
    )

    id: str = Field(primary_key=True, max_length=32)  # tracking code 受理编号, also the workflow id
    year: int = Field(index=True)
    idempotency_key: str = Field(max_length=64, unique=True)  # one request per form submission
    query_code_hash: str = Field(max_length=128)  # empty: the query code's hash is in intake_key
    stage: str = Field(max_length=32, index=True)
    intake_channel: str = Field(max_length=32)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    received_date: date | None = None
    applicant_type: str = Field(max_length=32)
    applicant_name: str = Field(max_length=200)
    id_doc_type: str = Field(max_length=32)
    id_doc_number: str = Field(max_length=64)
    contact_phone: str = Field(default="", max_length=32)
    # Keyed hashes of the whole ID and phone numbers (gongkai/lookup.py): the register finds a
    # request by them without searching the numbers in clear. None: written before them, or empty.
    id_doc_hash: str | None = Field(default=None, max_length=64, index=True)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    contact_email: str = Field(default="", max_length=200)
    contact_address: str = Field(default="", max_length=300)
    description: str = Field(max_length=4000)
    provision_form: str = Field(max_length=32)
    provision_channel: str = Field(max_length=32)
    department_id: int = Field(index=True)
    assignee_id: int | None = Field(default=None, index=True)
    # the applicant sees this, never internal notes
    public_note: str = Field(default="", max_length=2000)
    correction_items: str = Field(default="", max_length=4000)
    correction_due: date | None = None
    extension_days: int = 0
    disposition: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=64)
    reply_text: str = Field(default="", max_length=8000)
    reply_channel: str | None = Field(default=None, max_length=32)
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))  # workflow snapshot
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# disclosure_attachment.purpose: the applicant's own files (an ID copy), a corrected application's, the reply's
APPLICATION, CORRECTION, REPLY = "application", "correction", "reply"


class DisclosureAttachment(SQLModel, table=True):
    __tablename__ = "disclosure_attachment"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=32, index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)  # the content lives in the blob store (var/uploads)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What the file is to the request (APPLICATION, CORRECTION or REPLY above; the applicant downloads
    # a reply's files once it is sent). A plain string: more may come.
    purpose: str = Field(default=APPLICATION, max_length=16, sa_column_kwargs={"server_default": APPLICATION})
    # Which corrected application (1, 2, … in the case's view's `corrections`) a CORRECTION file came with.
    correction: int | None = Field(default=None)


class DisclosureReview(SQLModel, table=True):
    """Reconsideration or litigation against a reply (annual report table 4)."""

    __tablename__ = "disclosure_review"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    request_id: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=32)  # reconsideration, litigation_direct, litigation_after_review
    outcome: str = Field(max_length=32)  # upheld, corrected, other_outcome, pending
    note: str = Field(default="", max_length=1000)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    year: int = Field(index=True)


class CaseCounter(SQLModel, table=True):
    """The next number of a process's business keys in a year (DR-2026-000123)."""

    __tablename__ = "case_counter"

    process: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    value: int = 0


class IntakeKey(SQLModel, table=True):
    """One submitted form, one request: a resubmission finds the request its key already made."""

    __tablename__ = "intake_key"

    key: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    code_hash: str | None = Field(default=None, max_length=400)  # the query codes shown, argon2, space-separated
