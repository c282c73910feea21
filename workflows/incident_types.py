"""Payloads of the incident workflow's updates (outside the sandboxed module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Release:
    """An authoritative release (权威信息发布): what, where, when, approved by whom."""

    text: str
    channel: str
    released_at: datetime
    approved_by: str


@dataclass
class PressConference:
    held_at: datetime
    place: str
    spokesperson: str
    head_attended: bool = False  # C11: the department head or spokesperson attends


@dataclass
class IncidentView:
    case_id: str
    stage: str
    version: int
    releases: int
    press_held: bool
    triage: str
    late: list[str] = field(default_factory=list)  # clocks already run out at registration
