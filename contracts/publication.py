"""A proactive-disclosure publication item (主动公开事项): input, payloads, state, view and action table."""

from dataclasses import dataclass, field
from datetime import datetime

from gongkai import fields
from gongkai import publication as rules
from gongkai.actions import Action, ActionTable
from gongkai.clock import local_date
from gongkai.errors import ActionNotAllowed, InvalidInput
from gongkai.publication import Stage
from gongkai.roles import Actor
from gongkai.rules import RuleBook

WORKFLOW = "PublicationWorkflow"  # the workflow type: clients start items by this name


@dataclass(frozen=True)
class PublicationInput:
    case_id: str  # PI-2026-000001, also the workflow id
    title: str
    kind: str  # gongkai.publication.KINDS
    department_id: int  # the responsible department (主体)
    triggered_at: datetime  # when the thing happened (the decision, the adjustment, the higher-level release)
    channels: list[str]  # where it must be published (双公示: both websites)
    secrecy_review: bool = True  # 保密审查 before publication (E-table); a catalogue entry may waive it
    catalogue_id: int | None = None  # the 主动公开目录 entry it belongs to
    content: str = ""  # what is to be published, as the department describes it
    created_by: str = "system"
    source: str = "form"  # form, csv, api (gongkai.publication.SOURCES)
    external_key: str = ""  # the business system's id of the thing (idempotency of csv and api)
    rules: RuleBook | None = None  # the rules version it runs by


@dataclass
class ChannelRecord:
    channel: str
    url: str
    at: datetime  # when it went up (as entered: the day, or the instant for hour clocks)
    by: str


@dataclass
class Review:
    passed: bool
    note: str
    by: str
    at: datetime


@dataclass
class PublicationState:
    stage: Stage
    department_id: int
    published: list[ChannelRecord] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    comment: str = ""  # the last review's or cancellation's reason
    outcome: str = ""  # met, late (judged by the last required channel's publication), cancelled

    @classmethod
    def opened(cls, inp: PublicationInput) -> "PublicationState":
        return cls(Stage.DRAFTING, inp.department_id)


@dataclass
class PublicationView(PublicationState):
    case_id: str = ""
    version: int = 0
    title: str = ""
    kind: str = ""
    catalogue_id: int | None = None
    channels: list[str] = field(default_factory=list)
    secrecy_review: bool = True
    triggered_at: datetime | None = None
    source: str = ""
    external_key: str = ""
    content: str = ""
    rule: str = ""  # the rule its clock runs by
    missing: list[str] = field(default_factory=list)  # required channels not yet published on


def _department(v: PublicationView, actor: Actor) -> None:
    rules.require_department(actor, v.department_id)


def _reviewer(v: PublicationView, actor: Actor) -> None:
    rules.require_reviewer(actor, v.department_id)


def _verdict(_v: PublicationView, _now: datetime, passed: bool, note: str) -> None:
    fields.text(note, field="note", what="审查意见", limit=300, required=not passed, empty="退回修改时请写明意见")


def _published(v: PublicationView, now: datetime, channel: str, url: str, at_text: str) -> None:
    if channel not in v.channels:
        raise InvalidInput(f"本事项不需要在“{rules.CHANNELS.get(channel, channel)}”发布", field="channel")
    if channel not in v.missing:
        raise ActionNotAllowed(f"已登记在“{rules.CHANNELS[channel]}”发布", field="channel")
    fields.url(url, field="url", what="发布地址", limit=rules.URL_LIMIT)
    at = rules.instant_of(at_text)
    if at > now:
        raise InvalidInput("发布时间不能晚于现在", field="at")
    if v.triggered_at is not None and local_date(at) < local_date(v.triggered_at):
        raise InvalidInput("发布时间不能早于事项发生时间", field="at")


def _reason(_v: PublicationView, _now: datetime, reason: str) -> None:
    fields.text(reason, field="reason", what="撤销理由", limit=300)


ACTIONS = ActionTable[PublicationView](lambda v: v.stage, rules.STAGE_ZH, [
    Action("submit", "提交发布", frozenset({Stage.DRAFTING}), _department),
    Action("review", "保密审查", frozenset({Stage.SECRECY_REVIEW}), _reviewer, check=_verdict),
    Action("publish", "登记发布", frozenset({Stage.PUBLISHING}), _department, check=_published,
           early="提交并通过保密审查后才能登记发布"),
    Action("cancel", "撤销", rules.OPEN_STAGES, _reviewer, check=_reason),
])
