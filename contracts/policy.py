"""A policy document released with its interpretation (三同步): input, payloads, state, view and
action table."""

from dataclasses import dataclass, field
from datetime import datetime

from gongkai import policy as rules
from gongkai.actions import Action, ActionTable, either, roles
from gongkai.errors import ActionNotAllowed, PermissionDenied
from gongkai.policy import Stage
from gongkai.roles import LEADERS, Actor, DepartmentKind, Role

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


@dataclass
class PolicyState:
    stage: Stage
    draft: Draft = field(default_factory=lambda: Draft("", ""))
    document_version: int = 0
    returns_reasons: list[str] = field(default_factory=list)  # 退文 by the government office
    signatures: list[Signature] = field(default_factory=list)
    comment: str = ""  # the last return's or review's reason
    published: Publication = field(default_factory=Publication)
    notes: list[str] = field(default_factory=list)  # public-opinion notes while in force


@dataclass
class PolicyView(PolicyState):
    case_id: str = ""
    version: int = 0
    title: str = ""
    issuance: str = ""
    department_id: int = 0  # the drafting department
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


def _general_office(_v: PolicyView, actor: Actor) -> None:
    if not (actor.role == Role.OFFICE_HEAD or actor.role == Role.DEPT_HEAD
            and actor.department_kind == DepartmentKind.GENERAL_OFFICE):
        raise PermissionDenied("只有政府办负责人可以审核代拟稿")


def _secrecy_reviewer(v: PolicyView, actor: Actor) -> None:
    if not (actor.role == Role.OFFICE_HEAD or actor.role == Role.DEPT_HEAD and actor.department_id == v.department_id):
        raise PermissionDenied("只有起草部门负责人或公开办负责人可以登记保密审查")


def _website_open(v: PolicyView, _now: datetime) -> None:
    if not v.website_open:
        raise ActionNotAllowed("没有待登记的网站发布")


PUBLIC = frozenset({Stage.PUBLISHED, Stage.IN_FORCE})
ACTIONS = ActionTable[PolicyView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("update_draft", "保存", frozenset({Stage.DRAFTING}), _drafter),
    Action("submit", "报送审签", frozenset({Stage.DRAFTING}), _drafter),
    Action("review_attribute", "审查公开属性", frozenset({Stage.ATTRIBUTE_REVIEW}),
           roles({Role.OFFICE_HEAD}, "只有公开办负责人可以审查公开属性")),
    Action("sign", "审签文件及解读", frozenset({Stage.SIGN_OFF}), _drafting_head),
    Action("office_review", "审核代拟稿", frozenset({Stage.OFFICE_REVIEW}), _general_office),
    Action("leader_sign", "领导审签", frozenset({Stage.LEADER_SIGN_OFF}),
           roles(LEADERS, "只有领导可以审签以政府名义发布的文件")),
    Action("secrecy_review", "登记保密审查", frozenset({Stage.SECRECY_REVIEW}), _secrecy_reviewer),
    Action("publish", "登记发布", frozenset({Stage.READY}), _drafter, early="保密审查通过后才能发布"),
    Action("publish_interpretation", "登记解读发布", frozenset({Stage.PUBLISHED}), _drafter,
           early="文件发布后才能登记解读发布"),
    Action("record_website", "登记网站发布", PUBLIC, _drafter, _website_open, early="没有待登记的网站发布"),
    Action("add_note", "记录舆情", PUBLIC, either(_drafter, roles({Role.OFFICE_HEAD}, "")),
           early="文件发布后才能记录舆情"),
    Action("close", "办结", frozenset({Stage.IN_FORCE}), _drafter, early="解读发布后才能办结"),
])
