"""The disclosure request (依申请公开): its input, payloads, state, view and action table."""

from dataclasses import dataclass, field
from datetime import datetime

from gongkai import disclosure as rules
from gongkai.actions import Action, ActionTable, either, roles
from gongkai.disclosure import BEFORE_REPLY, OPEN_STAGES, Stage
from gongkai.errors import ActionNotAllowed, PermissionDenied
from gongkai.roles import HEADS, SUPERVISORS, Actor, Role

WORKFLOW = "DisclosureWorkflow"  # the workflow type: clients start cases by this name


# -- the input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Applicant:
    type: str
    name: str
    id_doc_type: str
    id_doc_number: str
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class DisclosureInput:
    request_id: str
    idempotency_key: str
    query_code_hash: str
    intake_channel: str
    submitted_at: datetime
    applicant: Applicant
    description: str
    provision_form: str
    provision_channel: str
    department_id: int
    received_date: str | None = None  # ISO date; None until both sides confirm (Art. 31)
    registered_by: str = "applicant"
    attachments: list[Attachment] = field(default_factory=list)


# -- update payloads and activity inputs -------------------------------------------------------------
@dataclass
class ReviewRecord:
    kind: str  # reconsideration, litigation_direct, litigation_after_review
    outcome: str  # upheld, corrected, other_outcome, pending
    note: str = ""


@dataclass
class CreateInput:
    """The request row with the applicant's intake, written once before the first projection."""

    data: DisclosureInput
    workflow_id: str
    stage: str
    year: int


@dataclass
class SuperviseInput:
    request_id: str
    workflow_id: str
    key: str
    department_id: int
    note: str
    actor: str
    due_at: datetime | None = None


@dataclass
class ReviewInput:
    request_id: str
    key: str
    kind: str
    outcome: str
    note: str
    actor: str
    year: int


# -- state and view ------------------------------------------------------------------------------------
@dataclass
class Extension:
    status: str = "none"  # none, requested, approved, refused
    days: int = 0
    reason: str = ""
    comment: str = ""


@dataclass
class ReplyDraft:
    disposition: str = ""
    reason: str = ""
    text: str = ""
    comment: str = ""  # the sign-off's reason for returning it


@dataclass
class ReplySent:
    date: str = ""  # ISO date
    channel: str = ""


@dataclass
class DisclosureState:
    stage: Stage
    department_id: int
    assignee_id: int | None = None
    received_date: str | None = None  # ISO date
    corrected: bool = False
    correction_items: str = ""
    correction_due: str | None = None  # ISO date
    consultations: int = 0
    consultation_party: str = ""
    extension: Extension = field(default_factory=Extension)
    draft: ReplyDraft = field(default_factory=ReplyDraft)
    reply: ReplySent = field(default_factory=ReplySent)
    outcome: str = ""  # replied, withdrawn, abandoned
    closed_at: datetime | None = None


@dataclass
class DisclosureView(DisclosureState):
    """The state as the outside sees it, with the case's identity and its reply clock."""

    request_id: str = ""
    version: int = 0
    reply_due_at: datetime | None = None
    reply_paused: bool = False


# -- who may do what, when ---------------------------------------------------------------------------
def _handler(v: DisclosureView, actor: Actor) -> None:
    rules.require_handler(actor, v.department_id, v.assignee_id)


def _own_officer(v: DisclosureView, actor: Actor) -> None:
    if actor.role != Role.OFFICER or actor.department_id != v.department_id:
        raise PermissionDenied("只有本部门经办人可以认领")


def _head(v: DisclosureView, actor: Actor) -> None:
    if actor.role not in HEADS:
        raise PermissionDenied("只有负责人可以分办或转办")
    if actor.role == Role.DEPT_HEAD and actor.department_id != v.department_id:
        raise PermissionDenied("只能分办本部门的申请")


def _unclaimed(v: DisclosureView, _now: datetime) -> None:
    if v.assignee_id is not None:
        raise ActionNotAllowed("该申请已被认领")


def _claimed(v: DisclosureView, _now: datetime) -> None:
    if v.assignee_id is None:
        raise ActionNotAllowed("该申请尚未被认领")


def _not_corrected(v: DisclosureView, _now: datetime) -> None:
    if v.corrected:
        raise ActionNotAllowed("补正告知应一次性发出（条例第三十条），已补正过的申请不能再次要求补正")


def _before_due(v: DisclosureView, now: datetime, action_zh: str) -> None:
    if v.reply_due_at is not None and now >= v.reply_due_at:
        raise ActionNotAllowed(f"答复期限已届满，不能再{action_zh}")


def _extension_possible(v: DisclosureView, now: datetime) -> None:
    if v.extension.status in {"requested", "approved"}:
        raise ActionNotAllowed("已申请过延期")
    _before_due(v, now, "申请延期")


def _extension_pending(v: DisclosureView, now: datetime) -> None:
    if v.extension.status != "requested":
        raise ActionNotAllowed("没有待审批的延期申请")
    _before_due(v, now, "审批延期")


OPEN = frozenset(OPEN_STAGES)
ACTIONS = ActionTable[DisclosureView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("claim", "认领", OPEN, _own_officer, _unclaimed),
    Action("confirm_receipt", "确认收到", frozenset({Stage.AWAITING_CONFIRMATION}), _handler),
    Action("accept", "审核通过", frozenset({Stage.REVIEW}), _handler),
    Action("request_correction", "发出补正告知", frozenset({Stage.REVIEW}), _handler, _not_corrected),
    Action("receive_correction", "登记已补正", frozenset({Stage.CORRECTION}), _handler),
    Action("start_consultation", "征求意见", frozenset({Stage.REVIEW, Stage.HANDLING}), _handler),
    Action("end_consultation", "结束征求意见", frozenset({Stage.CONSULTATION}), _handler),
    Action("draft_reply", "起草答复", frozenset({Stage.HANDLING}), _handler),
    Action("sign_off", "审签答复", frozenset({Stage.SIGN_OFF}),
           roles({Role.OFFICE_HEAD}, "只有公开办负责人可以审签答复")),
    Action("send_reply", "送达答复", frozenset({Stage.SIGNED}), _handler),
    Action("archive", "归档", frozenset({Stage.REPLIED}), _handler),
    Action("record_review", "登记复议/诉讼", frozenset({Stage.REPLIED, Stage.ARCHIVED}), _handler),
    Action("request_extension", "申请延期", BEFORE_REPLY - {Stage.AWAITING_CONFIRMATION, Stage.CORRECTION},
           _handler, _extension_possible),
    Action("decide_extension", "审批延期", BEFORE_REPLY, roles({Role.OFFICE_HEAD}, "只有公开办负责人可以审批延期"),
           _extension_pending),
    Action("withdraw", "登记撤回", BEFORE_REPLY, either(_handler, roles({Role.APPLICANT}, ""))),
    Action("release", "退回待认领", OPEN, _handler, _claimed),
    Action("assign", "分办/转办", OPEN, _head),
    Action("supervise", "督办", BEFORE_REPLY, roles(SUPERVISORS, "只有督办人员或领导可以督办")),
])
