"""What every case process shares at its boundaries: the acting user, the tasks, letters and
notices a projection writes, and the projection itself."""


from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts.deadline import CloseInput, Schedule, ScheduleInput
from gongkai.roles import Actor

__all__ = ["Actor", "CaseProjection", "CaseStep", "LetterSpec", "NoticeSpec", "StepResult", "TaskSpec"]


@dataclass
class TaskSpec:
    """An open task on someone's inbox, as the case wants it now (its key says which one)."""

    key: str
    kind: str
    title: str
    department_id: int | None
    role: str | None
    assignee_id: int | None
    deadline_id: str | None = None
    due_at: datetime | None = None


@dataclass
class LetterSpec:
    """A letter (告知书) the projection renders from the case and keeps with it."""

    key: str
    kind: str
    title: str
    body: str = ""
    public: bool = True  # shown to the applicant


@dataclass
class NoticeSpec:
    """A notification to everyone an audience means (activities.deadline.recipients)."""

    key: str
    to: str
    department_id: int | None
    title: str
    body: str
    level: int = 0
    assignee_id: int | None = None  # "assignee": this person; none: the department's officers
    username: str = ""  # "assignee": this account, when a case knows its officer by login (a policy's drafter)


@dataclass
class CaseProjection:
    """One step of a case written to SQL: the case row from the view, an audit entry, the open
    stage tasks, letters and notices. Idempotent by (case, version)."""

    case_id: str
    workflow_id: str
    version: int
    view: dict[str, Any]  # the process's view, as its dataclass serialises
    actor: str
    action: str
    summary: str
    at: datetime
    detail: dict[str, str] = field(default_factory=dict)
    tasks: list[TaskSpec] = field(default_factory=list)
    letters: list[LetterSpec] = field(default_factory=list)
    notices: list[NoticeSpec] = field(default_factory=list)


@dataclass
class CaseStep:
    """One step of a case written in one transaction: the case row created (`opening`, the
    process's intake, on the first step of a process whose row carries one), its clocks' moves
    and closes, then the projection (None: the clocks alone, as when a case waits for them
    before it projects). The clocks come first, so the tasks and the view carry the due instants
    just computed: a task whose `deadline_id` names a clock scheduled here takes its due, and each
    view field in `dues` (field: deadline id) the due of that clock."""

    projection: CaseProjection | None
    schedules: list[ScheduleInput] = field(default_factory=list)
    closes: list[CloseInput] = field(default_factory=list)
    dues: dict[str, str] = field(default_factory=dict)
    opening: Any = None


@dataclass
class StepResult:
    """What a step computed: each clock's schedule, in the order of `CaseStep.schedules`, and how
    many notifications it created (0 on a retry)."""

    schedules: list[Schedule] = field(default_factory=list)
    created: int = 0
