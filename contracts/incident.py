"""A major incident or public-opinion case (突发事件 / 政务舆情回应): input, payloads, state, view
and action table."""

from dataclasses import dataclass, field
from datetime import datetime

from gongkai import fields
from gongkai import incident as rules
from gongkai.actions import Action, ActionTable, Who, roles
from gongkai.errors import ActionNotAllowed, InvalidInput
from gongkai.incident import OPEN_FOR_RELEASES, RESPONDING_STAGES, Stage
from gongkai.roles import SUPERVISORS, Actor
from gongkai.rules import RuleBook

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
    rules: RuleBook | None = None  # the rules version it runs by (None: started before versions)


@dataclass
class Screenshot:
    """A picture of the release as published (PNG or JPEG, checked by its content), in the blob store."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass
class Release:
    """An authoritative release (权威信息发布): what, where (every channel it went out on, with the
    address where it can be read and a screenshot of it), when, approved by whom."""

    text: str
    channel: str  # the first of `channels` (the one channel a release had before several could be recorded)
    released_at: datetime
    approved_by: str
    channels: list[str] = field(default_factory=list)
    link: str = ""
    screenshot: Screenshot | None = None

    def all_channels(self) -> list[str]:
        return list(self.channels) or [self.channel]


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
    channels: list[str] = field(default_factory=list)  # empty in releases recorded with one channel
    link: str = ""
    screenshot: Screenshot | None = None


@dataclass
class Supervision:
    """A 督办 of the case: its 督办通知单 (the letter issued with it), and the responsible department's
    feedback, which stops its feedback clock."""

    number: int  # 1, 2, … within the case
    matter: str  # 督办事项: what the supervisor found
    required: str  # 办理要求: what the department must do
    by: str
    at: datetime
    department_id: int  # the lead department when it was issued, which must answer
    due_at: datetime | None = None  # the feedback deadline
    feedback: str = ""
    feedback_by: str = ""
    feedback_at: datetime | None = None
    outcome: str = ""  # met, late (feedback after the deadline)

    @property
    def open(self) -> bool:
        return self.feedback_at is None


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
    supervisions: list[Supervision] = field(default_factory=list)

    @classmethod
    def opened(cls, inp: IncidentInput) -> "IncidentState":
        return cls(Stage.RESPONDING, inp.department_id, list(inp.co_departments))


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


# -- what each action's input must be (facts, now, then the update's arguments after the actor) -----------
def _release(v: IncidentView, now: datetime, item: Release) -> None:
    # A release listing its channels (the form, newer clients) gives the link of those online; one
    # sent with a single `channel` (older clients) is accepted as before.
    rules.check_release(item.text, item.all_channels(), item.approved_by, item.link, needs_link=bool(item.channels))
    fields.text(item.text, field="text", what="发布内容", limit=4000)
    fields.text(item.approved_by, field="approved_by", what="审核签发人", limit=100)
    fields.url(item.link, field="link", what="发布链接", required=False)
    if item.screenshot is not None:
        rules.check_screenshot(item.screenshot.content_type, item.screenshot.size)
    rules.check_instant(item.released_at, v.occurred_at or item.released_at, now, "发布时间")


def _press(v: IncidentView, now: datetime, item: PressConference) -> None:
    rules.check_press(item.place, item.spokesperson)
    fields.text(item.place, field="place", what="发布会地点", limit=200)
    fields.text(item.spokesperson, field="spokesperson", what="新闻发言人", limit=100)
    rules.check_instant(item.held_at, v.occurred_at or item.held_at, now, "发布会时间")


def _triage(_v: IncidentView, _now: datetime, category: str, note: str) -> None:
    if category not in rules.TRIAGE:
        raise InvalidInput("请选择研判分类", field="category")
    fields.text(note, field="note", what="研判意见", limit=300, required=False)


def _referral(_v: IncidentView, _now: datetime, target: str, note: str) -> None:
    if target not in rules.REFERRAL_TARGETS:
        raise InvalidInput("请选择移交单位", field="target")
    fields.text(note, field="note", what="移交情况", limit=300, empty="请填写移交情况（时间、对接人、材料）")


def _reassignment(v: IncidentView, _now: datetime, department_id: int, reason: str) -> None:
    if not 0 < department_id <= fields.MAX_ID:
        raise InvalidInput("请选择新的牵头部门", field="department_id")
    if department_id == v.department_id:
        raise InvalidInput("所选部门已是牵头部门", field="department_id")
    fields.text(reason, field="reason", what="改派理由", limit=300, empty="请说明改派理由")


def _triaged(v: IncidentView, _now: datetime) -> None:
    if not v.triage:
        raise ActionNotAllowed("请先完成研判分类")
    if v.triage == "false_info" and not v.referrals:
        raise ActionNotAllowed("研判为虚假信息的，请先登记移交公安或网信部门的情况")


def _evaluation(_v: IncidentView, _now: datetime, effect: str, summary: str) -> None:
    if effect not in rules.EFFECTS:
        raise InvalidInput("请选择回应效果", field="effect")
    fields.text(summary, field="summary", what="评估意见", limit=400)


def _supervision(_v: IncidentView, _now: datetime, note: str, required: str = "") -> None:
    fields.text(note, field="note", what="督办事项", limit=300, empty="请填写督办事项")
    fields.text(required, field="required", what="办理要求", limit=300, required=False)


def _feedback(v: IncidentView, _now: datetime, number: int, text: str) -> None:
    found = next((s for s in v.supervisions if s.number == number), None)
    if found is None:
        raise InvalidInput("督办通知单不存在", field="number")
    if not found.open:
        raise ActionNotAllowed(f"第{number}号督办已反馈")
    fields.text(text, field="feedback", what="落实情况", limit=1000, empty="请填写督办落实情况")


def _under_supervision(v: IncidentView, _now: datetime) -> None:
    if not any(s.open for s in v.supervisions):
        raise ActionNotAllowed("没有待反馈的督办")


def _deciders(what: str) -> Who[object]:
    return roles(rules.DECIDERS, f"只有公开办负责人、督办人员或领导可以{what}")


ACTIONS = ActionTable[IncidentView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("release", "登记发布", OPEN_FOR_RELEASES, _responsible, check=_release,
           early="案件已办结，不能再登记发布"),
    Action("press_conference", "登记新闻发布会", RESPONDING_STAGES, _responsible, _no_press_yet, check=_press),
    Action("classify", "保存研判", RESPONDING_STAGES, _responsible, check=_triage),
    Action("refer", "登记移交", frozenset(Stage) - {Stage.CLOSED}, _responsible, _false_info, check=_referral),
    Action("end_response", "回应完毕，提请评估", frozenset({Stage.FOLLOW_UP}), _responsible, check=_triaged,
           early="首次发布及新闻发布会完成后才能结束回应"),
    Action("reassign", "改派牵头部门", RESPONDING_STAGES, _deciders("改派牵头部门"), check=_reassignment,
           early="回应结束后不能再改派牵头部门"),
    Action("evaluate", "保存评估", frozenset({Stage.EVALUATION}), _deciders("评估和办结"), check=_evaluation,
           early="结束回应后才能评估"),
    Action("close", "办结", frozenset({Stage.EVALUATION}), _deciders("评估和办结"), _evaluated),
    Action("supervise", "督办", frozenset(Stage) - {Stage.CLOSED},
           roles(SUPERVISORS, "只有督办人员、公开办负责人或领导可以督办"), check=_supervision,
           early="案件已办结，不能再督办"),
    Action("supervision_feedback", "反馈督办落实情况", frozenset(Stage) - {Stage.CLOSED}, _responsible,
           _under_supervision, check=_feedback, early="案件已办结"),
])
