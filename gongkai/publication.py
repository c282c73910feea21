"""Proactive disclosure (主动公开): the pure rules of a publication item. What kinds of item there are
and the rule each runs by (rules.md table B), the channels, the stages, and the checks.

An item is one thing the office must publish because something happened (a penalty decision, a list
adjustment, a meeting's decisions, a proposal's answer, a higher-level policy to repost). Its clock
runs from the trigger under its kind's rule in the office's profile; a kind whose rule the profile
lacks runs by the general one (GIR Art. 26: 20 working days unless a law says otherwise)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from gongkai import fields
from gongkai.clock import CST
from gongkai.errors import InvalidInput, PermissionDenied
from gongkai.roles import Actor, Role
from gongkai.rules import Rule, RuleBook

GENERAL_RULE = "proactive_publication"  # B01, GIR Art. 26
# kind: (label, the rule its clock runs by, the channels it must reach by default)
KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "general": ("一般主动公开信息", GENERAL_RULE, ("gov_website",)),
    # 双公示 (B08): licensing and penalty decisions on the department's and the government's websites;
    # counted apart in the annual report's table 2 (GIR Art. 20 (5), (6)), with coercion decisions.
    "licensing": ("行政许可决定（双公示）", "decision_publication", ("dept_website", "gov_website")),
    "penalty": ("行政处罚决定（双公示）", "decision_publication", ("dept_website", "gov_website")),
    "coercion": ("行政强制决定", GENERAL_RULE, ("gov_website",)),
    "list_adjustment": ("权责清单、收费目录等清单调整", "list_adjustment", ("gov_website",)),
    "meeting_decision": ("政府常务会议议定事项", "meeting_decision", ("gov_website", "new_media")),
    "handling_result": ("人大建议、政协提案办理结果", "handling_result", ("gov_website",)),
    "repost": ("转载上级政策信息", "repost", ("dept_website",)),
    "state_capital_budget": ("国有资本经营预算", "state_capital_budget", ("gov_website",)),
    # A normative document goes on the government website within its own limit (B02) and into the
    # gazette (B03/B04, which set no number: the general 20 WD). A policy case opens one item of each.
    "normative": ("规范性文件", "normative_publication", ("gov_website",)),
    "gazette": ("政府公报刊登", GENERAL_RULE, ("gazette",)),
}
CHANNELS = {"gov_website": "政府网站", "dept_website": "部门网站", "gazette": "政府公报", "new_media": "政务新媒体"}
# The time-limit rules items run by (a case's RuleBook carries those of them its profile has).
RULES = frozenset({GENERAL_RULE, *(rule for _, rule, _ in KINDS.values())})
SOURCES = {"form": "页面登记", "csv": "批量导入", "api": "业务系统接口", "policy": "政策文件发布"}
# The items a normative document's policy case opens when the document is published.
NORMATIVE_ITEMS: tuple[str, ...] = ("normative", "gazette")
TITLE_LIMIT = 300
TEXT_LIMIT = 4000
URL_LIMIT = 500


class Stage(StrEnum):
    DRAFTING = "drafting"  # the responsible department prepares what it will publish
    SECRECY_REVIEW = "secrecy_review"  # 保密审查 (E-table: before any publication, where required)
    PUBLISHING = "publishing"  # cleared: published channel by channel
    DONE = "done"  # published on every required channel
    CANCELLED = "cancelled"


STAGE_ZH = {Stage.DRAFTING: "准备发布", Stage.SECRECY_REVIEW: "保密审查", Stage.PUBLISHING: "发布中",
            Stage.DONE: "已发布", Stage.CANCELLED: "已撤销"}
OUTCOME_ZH = {"met": "按期", "late": "超期"}
OPEN_STAGES = frozenset({Stage.DRAFTING, Stage.SECRECY_REVIEW, Stage.PUBLISHING})
REVIEWERS = frozenset({Role.DEPT_HEAD, Role.OFFICE_HEAD})


def instant_of(at: str) -> datetime:
    """A publication's instant as sent (ISO 8601 with its offset)."""
    return fields.instant(at, field="at", what="发布时间")


def month_of(triggered_at: datetime) -> int:
    """The Beijing month an item counts in for the assessment, as a number: 202609."""
    local = triggered_at.astimezone(CST)
    return local.year * 100 + local.month


def rule_for(kind: str, book: RuleBook) -> Rule:
    """The rule an item of `kind` runs by under `book`: its kind's, else the general one."""
    name = KINDS[kind][1] if kind in KINDS else GENERAL_RULE
    rule = book.rules.get(name)
    if rule is None or not rule.applies:
        return book.rule(GENERAL_RULE)
    return rule


def check_channels(channels: list[str]) -> None:
    if not channels:
        raise InvalidInput("请至少选择一个发布渠道", field="channels")
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise InvalidInput(f"未知的发布渠道：{'、'.join(unknown)}（可选：{'、'.join(CHANNELS)}）", field="channels")
    if len(set(channels)) != len(channels):
        raise InvalidInput("发布渠道重复", field="channels")


def check_registration(*, title: str, kind: str, channels: list[str]) -> None:
    if not title.strip():
        raise InvalidInput("请填写公开事项名称", field="title")
    if len(title) > TITLE_LIMIT:
        raise InvalidInput(f"名称不能超过{TITLE_LIMIT}字", field="title")
    if kind not in KINDS:
        raise InvalidInput(f"未知的事项类别：{kind}", field="kind")
    check_channels(channels)


def require_department(actor: Actor, department_id: int) -> None:
    """The responsible department's officers and head act on an item; the office's head may too."""
    if actor.role == Role.OFFICE_HEAD:
        return
    if actor.department_id == department_id and actor.role in {Role.OFFICER, Role.DEPT_HEAD}:
        return
    raise PermissionDenied("只有责任部门可以办理本部门的公开事项")


def require_reviewer(actor: Actor, department_id: int) -> None:
    """保密审查 is signed by the department's head, or the openness office's head."""
    if actor.role == Role.OFFICE_HEAD or (actor.role == Role.DEPT_HEAD and actor.department_id == department_id):
        return
    raise PermissionDenied("只有责任部门负责人或公开办负责人可以进行保密审查")
