"""The disclosure request (依申请公开): its input, payloads, state, view and action table."""

from dataclasses import dataclass, field
from datetime import date, datetime

from gongkai import disclosure as rules
from gongkai import fields
from gongkai.actions import Action, ActionTable, either, roles
from gongkai.clock import local_date
from gongkai.disclosure import BEFORE_REPLY, OPEN_STAGES, Stage
from gongkai.errors import ActionNotAllowed, InvalidInput, PermissionDenied
from gongkai.roles import HEADS, SUPERVISORS, Actor, Role
from gongkai.rules import RuleBook

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
    query_code_hash: str  # always "": the query code never travels to Temporal (kept for old histories)
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
    rules: RuleBook | None = None  # the rules version it runs by (None: started before versions)


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
class CorrectionReceived:
    """A corrected application (Art. 30): sent by the applicant from /track, or registered by an
    officer when it came by post or in person. The reply clock restarts from `received_date`."""

    channel: str = ""  # online, post, in_person
    submitted_at: datetime | None = None  # when the applicant sent it online
    received_date: str | None = None  # ISO date the office received it; None until an officer records it
    text: str = ""
    files: list[Attachment] = field(default_factory=list)


@dataclass
class DisclosureState:
    stage: Stage
    department_id: int
    assignee_id: int | None = None
    received_date: str | None = None  # ISO date
    corrected: bool = False
    correction_items: str = ""
    correction_due: str | None = None  # ISO date
    correction_requested: str | None = None  # ISO date the notice went out (None in cases corrected before it was kept)
    consultations: int = 0
    consultation_party: str = ""
    consultation_kind: str = ""  # third_party or agency (rules.CONSULTATION_KINDS); "" before issue 14
    extension: Extension = field(default_factory=Extension)
    draft: ReplyDraft = field(default_factory=ReplyDraft)
    reply: ReplySent = field(default_factory=ReplySent)
    corrections: list[CorrectionReceived] = field(default_factory=list)
    reply_files: list[Attachment] = field(default_factory=list)  # the disclosed documents the reply carries
    outcome: str = ""  # replied, withdrawn, abandoned
    closed_at: datetime | None = None

    @classmethod
    def opened(cls, inp: DisclosureInput) -> "DisclosureState":
        """GIR Art. 31: received in person or signed for, the clock runs; online, it waits for both
        sides to confirm the day."""
        return cls(Stage.REVIEW if inp.received_date is not None else Stage.AWAITING_CONFIRMATION, inp.department_id)


@dataclass
class DisclosureView(DisclosureState):
    """The state as the outside sees it, with the case's identity and its reply clock."""

    request_id: str = ""
    version: int = 0
    submitted_at: datetime | None = None
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


# -- what each action's input must be (facts, now, then the update's arguments after the actor) -----------
def _confirm(v: DisclosureView, now: datetime, day: str) -> None:
    fields.day(day, field="day", what="收到日期", today=local_date(now),
               not_before=local_date(v.submitted_at) if v.submitted_at else None, before_what="提交日期")


def _assign(_v: DisclosureView, _now: datetime, officer_id: int, department_id: int) -> None:
    if not 0 < department_id <= fields.MAX_ID:
        raise InvalidInput("请选择办理部门", field="department_id")
    if not 0 <= officer_id <= fields.MAX_ID:
        raise InvalidInput("经办人无效", field="officer_id")


def _correction(_v: DisclosureView, _now: datetime, items: str, period_wd: int) -> None:
    # The applicant's status page shows the items (a 2,000-character column, with the date).
    fields.text(items, field="items", what="需要补正的事项", limit=1500, empty="请列明需要补正的事项")
    if not 1 <= period_wd <= 30:
        raise InvalidInput("补正期限应为 1 至 30 个工作日", field="period_wd")


def pending_corrections(corrections: list[CorrectionReceived]) -> list[CorrectionReceived]:
    """What the applicant sent online that no officer has recorded as received yet."""
    return [c for c in corrections if c.channel == "online" and c.received_date is None]


def as_attachments(files: list[Attachment] | list[dict] | None) -> list[Attachment]:
    """Files as sent: an update given fewer arguments than its handler takes arrives untyped."""
    try:
        return [f if isinstance(f, Attachment) else Attachment(**f) for f in files or []]
    except TypeError:
        raise InvalidInput("附件无效，请重新上传", field="attachments") from None


def _files(files: list[Attachment], field_name: str) -> None:
    if len(files) > rules.MAX_CORRECTION_FILES:
        raise InvalidInput(f"最多上传{rules.MAX_CORRECTION_FILES}个附件", field=field_name)
    for f in files:
        if len(f.sha256) != 64 or not 0 < f.size or not f.filename or len(f.filename) > 200:
            raise InvalidInput("附件无效，请重新上传", field=field_name)


def _correction_open(v: DisclosureView, now: datetime) -> None:
    if v.correction_due and local_date(now) > date.fromisoformat(v.correction_due):
        raise ActionNotAllowed(f"补正期限（{v.correction_due}）已过，不能再在线提交补正材料")
    if len(pending_corrections(v.corrections)) >= rules.MAX_CORRECTION_SUBMISSIONS:
        raise ActionNotAllowed("补正材料已多次提交，请等待工作人员确认收到")


def _submission(_v: DisclosureView, _now: datetime, text: str, files: list[Attachment]) -> None:
    files = as_attachments(files)
    fields.text(text, field="text", what="补正内容", limit=2000, required=not files,
                empty="请填写补正后的申请内容，或上传补正材料")
    _files(files, "attachments")


def correction_receipt(v: DisclosureState, now: datetime, day: str = "", channel: str = "") -> tuple[date, str]:
    """The day the corrected application was received and how: an online one on the day it was sent
    (its last part, Beijing time) unless the officer says otherwise; by post or in person on the
    day the officer enters (today if none). Refused: a day before the correction notice (or before
    the last part sent online, which the receipt covers too), in the future, or outside the
    calendar's years."""
    pending = pending_corrections(v.corrections)
    if channel and channel not in rules.CORRECTION_CHANNELS:
        raise InvalidInput("请选择补正材料的收到方式", field="channel")
    channel = channel or ("online" if pending else "")
    if channel == "online" and not pending:
        raise InvalidInput("申请人没有在线提交待确认的补正材料，请选择邮寄或当面提交", field="channel")
    requested = v.correction_requested or v.received_date
    not_before, before_what = (date.fromisoformat(requested) if requested else None), "发出补正告知的日期"
    sent = max((local_date(c.submitted_at) for c in pending if c.submitted_at), default=None)
    if sent is not None:
        day = day or (sent.isoformat() if channel == "online" else "")
        not_before, before_what = max(sent, not_before or sent), "申请人在线提交的日期"
    received = fields.day(day or local_date(now).isoformat(), field="day", what="收到补正材料的日期",
                          today=local_date(now), not_before=not_before, before_what=before_what)
    return received, channel


def _receipt(v: DisclosureView, now: datetime, day: str = "", channel: str = "", text: str = "",
             files: list[Attachment] | None = None) -> None:
    _, channel = correction_receipt(v, now, day, channel)
    if channel == "online" and (text.strip() or files):
        raise InvalidInput("在线提交的补正材料已在案，无需另行填写或上传；邮寄或当面收到的，请选择相应的收到方式",
                           field="channel")
    attached = as_attachments(files)
    # What came by post or in person is kept: its content, or a scan of it, or both.
    fields.text(text, field="text", what="补正内容", limit=2000,
                required=channel in {"post", "in_person"} and not attached,
                empty="请填写补正后的申请内容（或其摘要），或上传扫描件")
    _files(attached, "attachments")


def _consultation(_v: DisclosureView, _now: datetime, party: str, kind: str) -> None:
    if kind not in rules.CONSULTATION_KINDS:
        raise InvalidInput("请选择征求对象类型", field="kind")
    fields.text(party, field="party", what="征求意见的对象", limit=200)


def _consulted(_v: DisclosureView, _now: datetime, summary: str) -> None:
    fields.text(summary, field="summary", what="征求意见的结果", limit=300,
                empty="请简述征求意见的结果（第三方逾期未答复的，请注明）")


def _extension(_v: DisclosureView, _now: datetime, days: int, reason: str) -> None:
    if not 1 <= days <= rules.MAX_EXTENSION_WD:
        raise InvalidInput("延长期限最长不超过20个工作日（条例第三十三条）", field="days")
    fields.text(reason, field="reason", what="延期理由", limit=300, empty="请说明延期理由")


def _decision(_v: DisclosureView, _now: datetime, approve: bool, comment: str) -> None:
    fields.text(comment, field="comment", what="意见", limit=300, required=False)


def _draft(_v: DisclosureView, _now: datetime, disposition: str, reason: str, text: str,
           files: list[Attachment] | None = None) -> None:
    rules.check_disposition(disposition, reason)
    fields.text(text, field="text", what="答复内容", limit=8000)
    if files is None:
        return
    if len(files) > rules.MAX_REPLY_FILES:
        raise InvalidInput(f"答复附件最多{rules.MAX_REPLY_FILES}个", field="reply_files")
    for f in files:  # the web checked the contents when they were uploaded; these are their descriptors
        if not 0 < len(f.filename) <= 200 or f.size <= 0 or len(f.sha256) != 64:
            raise InvalidInput("答复附件无效，请重新上传", field="reply_files")


def _signature(_v: DisclosureView, _now: datetime, approve: bool, comment: str) -> None:
    fields.text(comment, field="comment", what="审签意见", limit=300, required=not approve,
                empty="退回时请填写修改意见")


def _sent(v: DisclosureView, now: datetime, day: str, channel: str) -> None:
    if channel not in rules.REPLY_CHANNELS:
        raise InvalidInput("请选择送达方式", field="channel")
    fields.day(day, field="day", what="送达日期", today=local_date(now),
               not_before=date.fromisoformat(v.received_date) if v.received_date else None,
               before_what="收到申请的日期")


def _reason(_v: DisclosureView, _now: datetime, reason: str) -> None:
    fields.text(reason, field="reason", what="撤回理由", limit=300)


def _review(_v: DisclosureView, _now: datetime, review: ReviewRecord) -> None:
    if review.kind not in rules.REVIEW_KINDS:
        raise InvalidInput("请选择复议或诉讼类型", field="kind")
    if review.outcome not in rules.REVIEW_OUTCOMES:
        raise InvalidInput("请选择结果", field="outcome")
    fields.text(review.note, field="note", what="备注", limit=1000, required=False)


def _note(_v: DisclosureView, _now: datetime, note: str) -> None:
    fields.text(note, field="note", what="督办意见", limit=300)


OPEN = frozenset(OPEN_STAGES)
ACTIONS = ActionTable[DisclosureView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("claim", "认领", OPEN, _own_officer, _unclaimed),
    Action("confirm_receipt", "确认收到", frozenset({Stage.AWAITING_CONFIRMATION}), _handler, check=_confirm),
    Action("accept", "审核通过", frozenset({Stage.REVIEW}), _handler),
    Action("request_correction", "发出补正告知", frozenset({Stage.REVIEW}), _handler, _not_corrected,
           check=_correction),
    Action("submit_correction", "提交补正材料", frozenset({Stage.CORRECTION}),
           roles({Role.APPLICANT}, "只有申请人可以在线提交补正材料"), _correction_open, check=_submission),
    Action("receive_correction", "登记已补正", frozenset({Stage.CORRECTION}), _handler, check=_receipt),
    Action("start_consultation", "征求意见", frozenset({Stage.REVIEW, Stage.HANDLING}), _handler,
           check=_consultation),
    Action("end_consultation", "结束征求意见", frozenset({Stage.CONSULTATION}), _handler, check=_consulted),
    Action("draft_reply", "起草答复", frozenset({Stage.HANDLING}), _handler, check=_draft),
    Action("sign_off", "审签答复", frozenset({Stage.SIGN_OFF}),
           roles({Role.OFFICE_HEAD}, "只有公开办负责人可以审签答复"), check=_signature),
    Action("send_reply", "送达答复", frozenset({Stage.SIGNED}), _handler, check=_sent),
    Action("archive", "归档", frozenset({Stage.REPLIED}), _handler),
    Action("record_review", "登记复议/诉讼", frozenset({Stage.REPLIED, Stage.ARCHIVED}), _handler, check=_review),
    Action("request_extension", "申请延期", BEFORE_REPLY - {Stage.AWAITING_CONFIRMATION, Stage.CORRECTION},
           _handler, _extension_possible, check=_extension),
    Action("decide_extension", "审批延期", BEFORE_REPLY, roles({Role.OFFICE_HEAD}, "只有公开办负责人可以审批延期"),
           _extension_pending, check=_decision),
    Action("withdraw", "登记撤回", BEFORE_REPLY, either(_handler, roles({Role.APPLICANT}, "")), check=_reason),
    Action("release", "退回待认领", OPEN, _handler, _claimed),
    Action("assign", "分办/转办", OPEN, _head, check=_assign),
    Action("supervise", "督办", BEFORE_REPLY, roles(SUPERVISORS, "只有督办人员或领导可以督办"), check=_note),
])
