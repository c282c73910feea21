"""The durable deadline's payloads: who a deadline belongs to, the calendar arithmetic's input
and result (recorded in history), a rung to fire, the close."""


from dataclasses import dataclass, field
from datetime import datetime

from gongkai.clock import ClockSpec
from gongkai.rules import RuleBook


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
    profile: str = ""  # the rules it runs by: this profile's version (0: the shipped national rules)
    rules_version: int = 0


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


CALENDAR_CHANGED_SIGNAL = "calendar_changed"  # what cases were sent before the update (kept for their replay)
RECOMPUTE_UPDATE = "recompute"  # every case: move its clocks to newer rules, or after a calendar change


@dataclass
class Recompute:
    """An administrator's change that moves open clocks: a newer version of the rules (`book`), or a
    changed working-day calendar (`book` None)."""

    reason: str
    book: RuleBook | None = None


@dataclass
class Moved:
    """One open clock after a recompute: its due instant before and after (None: paused or cancelled)."""

    deadline_id: str
    rule: str
    label: str
    due_from: datetime | None
    due_to: datetime | None
    cancelled: bool = False
