"""A policy document released with its interpretation (三同步): input, payloads, state, view and
action table."""

from dataclasses import dataclass, field
from datetime import date, datetime

from gongkai import fields
from gongkai import policy as rules
from gongkai.actions import Action, ActionTable, either, roles
from gongkai.clock import local_date
from gongkai.errors import ActionNotAllowed, InvalidInput, PermissionDenied
from gongkai.policy import Stage
from gongkai.roles import LEADERS, SUPERVISORS, Actor, DepartmentKind, Role
from gongkai.rules import RuleBook

WORKFLOW = "PolicyWorkflow"  # the workflow type: clients start cases by this name


@dataclass(frozen=True)
class PolicyInput:
    case_id: str
    title: str
    issuance: str  # department, government, joint
    department_id: int
    normative: bool = False
    doc_number: str = ""
    co_issuers: list[int] = field(default_factory=list)
    created_by: str = "system"
    follow_up_days: int = rules.DEFAULT_FOLLOW_UP_DAYS  # reminders to keep interpreting while in force
    reviewing_office: int | None = None  # the general office (政府办) that reviews a draft in the government's name
    rules: RuleBook | None = None  # the rules version it runs by (None: started before versions)


@dataclass(frozen=True)
class ItemsWanted:
    """Publication items a policy case opens: one per kind, once however often asked."""

    case_id: str
    kinds: list[str]
    profile: str  # the rules the case runs by: its items run by the same version
    version: int


@dataclass(frozen=True)
class ItemsFor:
    ids: list[str]  # in the order of the kinds asked for
    rules: RuleBook  # the publication rules of the case's version


@dataclass
class Draft:
    """The drafting department's files and attributes; a change of files is a new version."""

    disclosure_mode: str
    disclosure_scope: str
    reasons: str = ""
    has_document: bool = False
    has_plan: bool = False
    materials: list[str] = field(default_factory=list)
    channels: str = ""
    title: str | None = None
    doc_number: str | None = None
    document_text: str = ""  # the document, the plan and the materials as the signer reads them
    plan_text: str = ""
    materials_text: str = ""


@dataclass
class Signature:
    role: str
    who: str
    at: datetime
    version: int
    what: str  # document+interpretation (the department head), government (the leader)


@dataclass
class Publication:
    on: str = ""  # ISO dates as entered
    url: str = ""
    interpretation_on: str = ""
    interpretation_url: str = ""
    website: str = ""
    website_at: str = ""  # when it went up on the government website (ISO instant), as entered


@dataclass
class PolicyState:
    stage: Stage
    department_id: int  # the drafting department
    draft: Draft = field(default_factory=lambda: Draft("", ""))
    document_version: int = 0
    returns_reasons: list[str] = field(default_factory=list)  # 退文 by the government office
    signatures: list[Signature] = field(default_factory=list)
    comment: str = ""  # the last return's or review's reason
    published: Publication = field(default_factory=Publication)
    notes: list[str] = field(default_factory=list)  # public-opinion notes while in force
    submitted_files: str = ""  # fingerprint of the files last submitted: a new version only when they differ
    items: list[str] = field(default_factory=list)  # publication items it opened (website, gazette)

    @classmethod
    def opened(cls, inp: PolicyInput) -> "PolicyState":
        return cls(Stage.DRAFTING, inp.department_id)


@dataclass
class PolicyView(PolicyState):
    case_id: str = ""
    version: int = 0
    title: str = ""
    issuance: str = ""
    normative: bool = False
    doc_number: str = ""
    co_issuers: list[int] = field(default_factory=list)
    returns: int = 0
    missing: list[str] = field(default_factory=list)  # what the completeness gate finds missing
    website_open: bool = False  # a normative document's website clock runs


def _drafter(v: PolicyView, actor: Actor) -> None:
    rules.require_drafter(actor, v.department_id)


def _drafting_head(v: PolicyView, actor: Actor) -> None:
    if actor.role != Role.DEPT_HEAD or actor.department_id != v.department_id:
        raise PermissionDenied("只有起草部门负责人可以审签")


def _general_office(v: PolicyView, actor: Actor) -> None:
    """The government office (政府办) reviews a draft in the government's name: its heads only, and
    never a draft of its own department (the drafter would review itself)."""
    if actor.role != Role.DEPT_HEAD or actor.department_kind != DepartmentKind.GENERAL_OFFICE:
        raise PermissionDenied("只有政府办负责人可以审核代拟稿")
    if actor.department_id == v.department_id:
        raise PermissionDenied("政府办不能审核本部门起草的代拟稿")


def _secrecy_reviewer(v: PolicyView, actor: Actor) -> None:
    if not (actor.role == Role.OFFICE_HEAD or actor.role == Role.DEPT_HEAD and actor.department_id == v.department_id):
        raise PermissionDenied("只有起草部门负责人或公开办负责人可以登记保密审查")


def _website_open(v: PolicyView, _now: datetime) -> None:
    if not v.website_open:
        raise ActionNotAllowed("没有待登记的网站发布")


# -- what each action's input must be (facts, now, then the update's arguments after the actor) -----------
def _draft(_v: PolicyView, _now: datetime, draft: Draft) -> None:
    if draft.disclosure_mode not in {"", *rules.DISCLOSURE_MODES}:
        raise InvalidInput("请选择公开方式", field="disclosure_mode")
    if draft.disclosure_scope not in {"", *rules.DISCLOSURE_SCOPES}:
        raise InvalidInput("请选择公开范围", field="disclosure_scope")
    fields.text(draft.doc_number or "", field="doc_number", what="文号", limit=100, required=False)
    fields.text(draft.title or "", field="title", what="文件标题", limit=300, required=False)
    rules.check_materials(draft.materials)
    for name, what in (("document_text", "政策文件"), ("plan_text", "解读方案"), ("materials_text", "解读材料")):
        fields.text(getattr(draft, name), field=name, what=what, limit=rules.TEXT_LIMIT, required=False)
    fields.text(draft.reasons, field="reasons", what="不予公开或删减公开的理由", limit=500, required=False)
    fields.text(draft.channels, field="channels", what="发布渠道", limit=200, required=False)


def _complete(v: PolicyView, _now: datetime) -> None:
    if v.missing:
        raise InvalidInput("材料不全，不能报送审签。缺少：" + "；".join(v.missing), detail={"missing": v.missing})


def _verdict(_v: PolicyView, _now: datetime, approve: bool, comment: str) -> None:
    fields.text(comment, field="comment", what="意见", limit=300, required=not approve, empty="退回时请说明理由")


def _signature(v: PolicyView, _now: datetime, version: int, approve: bool, comment: str) -> None:
    if version != v.document_version:
        raise ActionNotAllowed(f"签批的是第{version}版，当前为第{v.document_version}版，请审签最新版本")
    fields.text(comment, field="comment", what="意见", limit=300, required=not approve, empty="退回时请填写意见")


def _office(v: PolicyView, _now: datetime, approve: bool, reasons: str) -> None:
    if approve and v.missing:
        raise ActionNotAllowed("材料不全，应予退文：" + "；".join(v.missing))
    fields.text(reasons, field="comment", what="退文理由", limit=300, required=not approve, empty="退文时请写明理由")


def _secrecy(_v: PolicyView, _now: datetime, passed: bool, note: str) -> None:
    fields.text(note, field="comment", what="审查意见", limit=300, required=False)


def _published(v: PolicyView, now: datetime, day: str, url: str) -> None:
    signed = max((local_date(s.at) for s in v.signatures), default=None)
    fields.day(day, field="day", what="发布日期", today=local_date(now), not_before=signed, before_what="审签日期")
    fields.url(url, field="url", what="发布地址", limit=500)


def _interpreted(v: PolicyView, now: datetime, day: str, url: str) -> None:
    on = v.published.on
    fields.day(day, field="day", what="解读发布日期", today=local_date(now),
               not_before=date.fromisoformat(on) if on else None, before_what="文件发布日期")
    fields.url(url, field="url", what="解读材料的发布地址", limit=500)


def website_instant(at: str) -> datetime | None:
    """The website publication's instant as sent (ISO 8601 with its offset), or None when not given."""
    return fields.instant(at, field="at", what="网站发布时间") if at.strip() else None


def _on_website(v: PolicyView, now: datetime, url: str, at: str = "") -> None:
    fields.url(url, field="url", what="网站发布地址", limit=500)
    when = website_instant(at)
    if when is None:
        return
    if when > now:
        raise InvalidInput("网站发布时间不能晚于现在", field="at")
    on = v.published.on
    if on and local_date(when) < date.fromisoformat(on):
        raise InvalidInput(f"网站发布时间不能早于文件发布日期（{on}）", field="at")


def _opinion(_v: PolicyView, _now: datetime, text: str) -> None:
    fields.text(text, field="text", what="舆情内容", limit=400)


PUBLIC = frozenset({Stage.PUBLISHED, Stage.IN_FORCE})
ACTIONS = ActionTable[PolicyView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("update_draft", "保存", frozenset({Stage.DRAFTING}), _drafter, check=_draft),
    Action("submit", "报送审签", frozenset({Stage.DRAFTING}), _drafter, check=_complete),
    Action("review_attribute", "审查公开属性", frozenset({Stage.ATTRIBUTE_REVIEW}),
           roles({Role.OFFICE_HEAD}, "只有公开办负责人可以审查公开属性"), check=_verdict),
    Action("sign", "审签文件及解读", frozenset({Stage.SIGN_OFF}), _drafting_head, check=_signature),
    Action("office_review", "审核代拟稿", frozenset({Stage.OFFICE_REVIEW}), _general_office, check=_office),
    Action("leader_sign", "领导审签", frozenset({Stage.LEADER_SIGN_OFF}),
           roles(LEADERS, "只有领导可以审签以政府名义发布的文件"), check=_signature),
    Action("secrecy_review", "登记保密审查", frozenset({Stage.SECRECY_REVIEW}), _secrecy_reviewer, check=_secrecy),
    Action("publish", "登记发布", frozenset({Stage.READY}), _drafter, check=_published, early="保密审查通过后才能发布"),
    Action("publish_interpretation", "登记解读发布", frozenset({Stage.PUBLISHED}), _drafter, check=_interpreted,
           early="文件发布后才能登记解读发布"),
    Action("record_website", "登记网站发布", PUBLIC, _drafter, _website_open, check=_on_website,
           early="没有待登记的网站发布"),
    Action("add_note", "记录舆情", PUBLIC, either(_drafter, roles(SUPERVISORS, "")), check=_opinion,
           early="文件发布后才能记录舆情"),
    Action("close", "办结", frozenset({Stage.IN_FORCE}), _drafter, early="解读发布后才能办结"),
])
