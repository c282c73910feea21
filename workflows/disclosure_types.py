"""Payloads of the disclosure workflow's updates and queries (outside the sandboxed module, so
their datetime annotations are the real datetime)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DisclosureView:
    request_id: str
    stage: str
    version: int
    department_id: int
    assignee_id: int | None
    received_date: str | None
    reply_due_at: datetime | None
    reply_paused: bool
    corrected: bool
    correction_items: str
    correction_due: str | None
    consultation_party: str
    extension: dict = field(default_factory=dict)
    draft: dict = field(default_factory=dict)
    reply: dict = field(default_factory=dict)
    outcome: str = ""


@dataclass
class ReviewRecord:
    kind: str  # reconsideration, litigation_direct, litigation_after_review
    outcome: str  # upheld, corrected, other_outcome, pending
    note: str = ""
