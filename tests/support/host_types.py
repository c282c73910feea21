"""Payloads of the test host workflow, kept outside the sandboxed module so their datetime
annotations resolve to the real datetime class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class HostInput:
    case_id: str
    rule: str
    kind: str
    amount: int
    start: datetime
    department_id: int | None = None
    assignee_id: int | None = None


@dataclass
class HostState:
    due_at: datetime | None
    paused: bool
    level: int
    open: bool
