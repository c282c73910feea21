"""The durable deadline's payloads: who a deadline belongs to, the calendar arithmetic's input
and result (recorded in history), a rung to fire, the close."""


from dataclasses import dataclass, field
from datetime import datetime

from gongkai.clock import ClockSpec


@dataclass
class DeadlineRef:
    """Who and what a deadline belongs to."""

    deadline_id: str
    case_id: str
    workflow_id: str
    process: str
    rule: str
    title: str  # the case's title, shown in notifications
    region: str = "cn"
    department_id: int | None = None
    assignee_id: int | None = None


@dataclass
class ScheduleInput:
    ref: DeadlineRef
    spec: ClockSpec
    version: int  # increases with every change; older writes never overwrite newer ones
    reason: str = ""  # why it was recomputed, for the audit entry when the due instant moves
    actor: str = "system"


@dataclass
class RungAt:
    key: str
    to: str
    level: int
    task: bool
    at: datetime


@dataclass
class Schedule:
    due_at: datetime | None
    last_day: str | None  # ISO date
    paused: bool
    provisional: bool
    rungs: list[RungAt] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)


@dataclass
class FireInput:
    ref: DeadlineRef
    rung: RungAt
    due_at: datetime
    at: datetime | None = None  # when it is sent (None in histories recorded before it was sent along)


@dataclass
class CloseInput:
    ref: DeadlineRef
    version: int
    outcome: str  # met, late, cancelled
    at: datetime
    actor: str = "system"
