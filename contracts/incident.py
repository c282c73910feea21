"""A major incident or public-opinion case (突发事件 / 政务舆情回应): input, payloads, state, view
and action table."""

from dataclasses import dataclass, field
from datetime import datetime

from gongkai import incident as rules
from gongkai.actions import Action, ActionTable, Who, roles
from gongkai.errors import ActionNotAllowed
from gongkai.incident import OPEN_FOR_RELEASES, RESPONDING_STAGES, Stage
from gongkai.roles import Actor

WORKFLOW = "IncidentWorkflow"  # the workflow type: clients start cases by this name


@dataclass(frozen=True)
class IncidentInput:
    case_id: str
    title: str
    description: str
    location: str
    grade: str
    source: str
    occurred_at: datetime
    detected_at: datetime
    department_id: int  # the lead responsible department at registration (the state has the current one)
    co_departments: list[int] = field(default_factory=list)
    created_by: str = "system"
    follow_up_hours: int = rules.DEFAULT_FOLLOW_UP_HOURS
    anchors: dict[str, str] = field(default_factory=dict)  # rule -> "event" or "detection", fixed at registration


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
class ReleaseRecord:
    text: str
    channel: str
    released_at: datetime
    approved_by: str
    by: str
    recorded_at: datetime


@dataclass
class PressRecord:
    held_at: datetime
    place: str
    spokesperson: str
    head_attended: bool
    by: str


@dataclass
class Referral:
    target: str
    note: str
    by: str
    at: datetime


@dataclass
class Evaluation:
    effect: str
    summary: str
    by: str
    at: datetime


@dataclass
class IncidentState:
    stage: Stage
    department_id: int  # the lead responsible department, which a reassignment changes
    co_departments: list[int] = field(default_factory=list)
    releases: list[ReleaseRecord] = field(default_factory=list)
    press: PressRecord | None = None
    triage: str = ""
    triage_note: str = ""
    referrals: list[Referral] = field(default_factory=list)
    evaluation: Evaluation | None = None
    late: list[str] = field(default_factory=list)  # clocks already run out at registration
    follow_ups: int = 0
    closed_at: datetime | None = None


@dataclass
class IncidentView(IncidentState):
    case_id: str = ""
    version: int = 0
    title: str = ""
    description: str = ""
    location: str = ""
    grade: str = ""
    source: str = ""
    occurred_at: datetime | None = None
    detected_at: datetime | None = None
    created_by: str = ""
    follow_up_hours: int = rules.DEFAULT_FOLLOW_UP_HOURS
    anchors: dict[str, str] = field(default_factory=dict)


def _responsible(v: IncidentView, actor: Actor) -> None:
    rules.require_responsible(actor, v.department_id, v.co_departments)


def _no_press_yet(v: IncidentView, _now: datetime) -> None:
    if v.press is not None:
        raise ActionNotAllowed("新闻发布会已登记")


def _false_info(v: IncidentView, _now: datetime) -> None:
    if v.triage != "false_info":
        raise ActionNotAllowed("研判为虚假信息后才能移交公安或网信部门")


def _evaluated(v: IncidentView, _now: datetime) -> None:
    if v.evaluation is None:
        raise ActionNotAllowed("请先完成效果评估")


def _deciders(what: str) -> Who[object]:
    return roles(rules.DECIDERS, f"只有公开办负责人、督办人员或领导可以{what}")


ACTIONS = ActionTable[IncidentView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("release", "登记发布", OPEN_FOR_RELEASES, _responsible, early="案件已办结，不能再登记发布"),
    Action("press_conference", "登记新闻发布会", RESPONDING_STAGES, _responsible, _no_press_yet),
    Action("classify", "保存研判", RESPONDING_STAGES, _responsible),
    Action("refer", "登记移交", frozenset(Stage) - {Stage.CLOSED}, _responsible, _false_info),
    Action("end_response", "回应完毕，提请评估", frozenset({Stage.FOLLOW_UP}), _responsible,
           early="首次发布及新闻发布会完成后才能结束回应"),
    Action("reassign", "改派牵头部门", RESPONDING_STAGES, _deciders("改派牵头部门"),
           early="回应结束后不能再改派牵头部门"),
    Action("evaluate", "保存评估", frozenset({Stage.EVALUATION}), _deciders("评估和办结"), early="结束回应后才能评估"),
    Action("close", "办结", frozenset({Stage.EVALUATION}), _deciders("评估和办结"), _evaluated),
])
