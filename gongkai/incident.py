"""Major incidents and public-opinion cases (突发事件 / 政务舆情回应): the pure rules. Which clocks a
grade starts and from which instant (C10–C13), the steps and who may take them, triage (C15),
and how countdowns read. The workflow decides with these; nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gongkai.errors import InvalidInput, PermissionDenied
from gongkai.explain import span_zh
from gongkai.roles import Actor, Role

GRADES = {"especially_major": "特别重大", "major": "重大", "large": "较大", "general": "一般",
          "opinion": "其他政务舆情"}
MAJOR_GRADES = {"especially_major", "major"}  # 5 h authoritative information + 24 h press conference
SOURCES = {"media": "媒体报道", "online": "网络帖文", "hotline": "12345热线", "report": "部门报送",
           "leader": "领导批示", "other": "其他"}
CHANNELS = {"website": "政府网站", "weibo": "政务微博", "wechat": "政务微信", "press": "新闻媒体",
            "briefing": "新闻发布会", "other": "其他渠道"}
TRIAGE = {  # C15: each category and what must be published
    "suggestion": "建设性意见建议（公开采纳情况）",
    "difficulty": "反映实际困难（公开解决情况）",
    "major_problem": "反映重大问题（公开调查处理结果）",
    "misunderstanding": "误解疑惑（发布权威信息）",
    "wrong_view": "错误看法（发布引导信息）",
    "false_info": "虚假信息（回应澄清并移交公安、网信部门）",
}
REFERRAL_TARGETS = {"police": "公安机关", "cyberspace": "网信部门"}
EFFECTS = {"good": "较好", "fair": "一般", "poor": "较差"}
ANCHORS = {"event": "事件发生时间", "detection": "发现时间"}
DEFAULT_FOLLOW_UP_HOURS = 24
FOLLOW_UP_HOURS_RANGE = (1, 168)
MAX_BACKDATE = timedelta(days=30)  # an event older than this is not an emergency registration
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock may run a little ahead
DECIDERS = frozenset({Role.OFFICE_HEAD, Role.SUPERVISOR, Role.LEADER, Role.PRINCIPAL_HEAD})  # evaluation, closure (C17)


class Stage(StrEnum):
    RESPONDING = "responding"  # waiting for the first authoritative release (or the 48 h response)
    PRESS = "press"  # released; the press conference is still due (major grades)
    FOLLOW_UP = "follow_up"  # continued releases as work progresses
    EVALUATION = "evaluation"  # response finished; the office evaluates the effect
    CLOSED = "closed"


RESPONDING_STAGES = frozenset({Stage.RESPONDING, Stage.PRESS, Stage.FOLLOW_UP})
OPEN_FOR_RELEASES = RESPONDING_STAGES | {Stage.EVALUATION}
STAGE_ZH = {Stage.RESPONDING: "待发布权威信息", Stage.PRESS: "待召开新闻发布会", Stage.FOLLOW_UP: "持续发布",
            Stage.EVALUATION: "效果评估", Stage.CLOSED: "已办结"}


@dataclass(frozen=True)
class ClockPlan:
    name: str  # the deadline's name within the case: release, press, response
    rule: str  # its rule in the case's rules
    start: datetime


def clock_plan(grade: str, occurred_at: datetime, detected_at: datetime,
               anchors: dict[str, str] | None = None, absent: frozenset[str] = frozenset()) -> list[ClockPlan]:
    """The hour clocks a case starts. Each rule's `anchor` parameter says whether its clock runs
    from the event (C13, XY 五(二): "事件发生后") or from detection (the 政务舆情 wording); a rule the
    office's profile says does not apply (`absent`: 临沂 has no 5 h rule) starts no clock."""
    anchors = anchors or {}
    names = [("release", "authoritative_release"), ("press", "press_conference")] if grade in MAJOR_GRADES \
        else [("response", "opinion_response")]
    return [ClockPlan(name, rule, detected_at if anchors.get(rule) == "detection" else occurred_at)
            for name, rule in names if rule not in absent]


def check_registration(*, title: str, grade: str, source: str, occurred_at: datetime, detected_at: datetime,
                       now: datetime, location: str, follow_up_hours: int) -> None:
    """Every problem at once, each beside its field (`detail["fields"]`); the grade has no default:
    an unchosen one is refused, so no case is registered as 特别重大 by a click on 登记."""
    problems: dict[str, str] = {}
    if not title.strip():
        problems["title"] = "请填写事件简述"
    if not location.strip():
        problems["location"] = "请填写发生地点"
    if grade not in GRADES:
        problems["grade"] = "请选择事件等级"
    if source not in SOURCES:
        problems["source"] = "请选择信息来源"
    if occurred_at > now + CLOCK_SKEW:
        problems["occurred_at"] = "发生时间不能晚于当前时间"
    elif occurred_at < now - MAX_BACKDATE:
        problems["occurred_at"] = "发生时间早于30天前，请核对"
    if detected_at > now + CLOCK_SKEW:
        problems["detected_at"] = "发现时间不能晚于当前时间"
    elif detected_at < occurred_at:
        problems["detected_at"] = "发现时间不能早于发生时间"
    lo, hi = FOLLOW_UP_HOURS_RANGE
    if not lo <= follow_up_hours <= hi:
        problems["follow_up_hours"] = f"持续发布提醒间隔应在{lo}至{hi}小时之间"
    if problems:
        raise InvalidInput("；".join(problems.values()), field=next(iter(problems)),
                           detail={"problems": list(problems.values()), "fields": problems})


def countdown_zh(due_at: datetime, now: datetime) -> str:
    left = due_at - now
    return f"剩余 {span_zh(left)}" if left.total_seconds() > 0 else f"已超期 {span_zh(left)}"


def require_registrar(actor: Actor, lead: int) -> None:
    """Who registers a case for `lead`: its own officers and heads; the office's head, supervisors and
    leaders for any department, as they may reassign one (C14). Checked before anything is created."""
    if actor.role in DECIDERS or actor.department_id == lead:
        return
    raise PermissionDenied("只能登记由本部门牵头的事件；需由其他部门牵头的，请联系公开办负责人或督办人员",
                           field="department_id")


def require_responsible(actor: Actor, lead: int, co: list[int]) -> None:
    """The responsible departments act (C14); the office and leaders may act for them."""
    if actor.department_id in {lead, *co} and actor.role in {Role.OFFICER, Role.DEPT_HEAD}:
        return
    if actor.role in {Role.OFFICE_HEAD, Role.LEADER, Role.PRINCIPAL_HEAD}:
        return
    raise PermissionDenied("只有责任部门或公开办可以登记发布情况")


ONLINE_CHANNELS = frozenset({"website", "weibo", "wechat"})  # a release there has an address to read it at
SCREENSHOT_MAX_BYTES = 2 * 1024 * 1024
SCREENSHOT_TYPES = frozenset({"image/png", "image/jpeg"})
SUPERVISION_RULE = "incident_supervision"  # the 督办通知单's feedback clock (a local rule)
# The time-limit rules a case's clocks run by (its RuleBook carries these).
RULES = frozenset({"authoritative_release", "press_conference", "opinion_response", SUPERVISION_RULE})
SUPERVISION_REQUIRED = "请立即核实处置，按时限发布权威信息，并在反馈时限内报送落实情况。"


def check_release(text: str, channels: list[str], approved_by: str, link: str = "", *, needs_link: bool = True) -> None:
    """A release names every channel it went out on; one put online gives the address to read it at
    (its form is fields.url's)."""
    problems: dict[str, str] = {}
    if not text.strip():
        problems["text"] = "请填写发布内容"
    if not channels or any(c not in CHANNELS for c in channels):
        problems["channels"] = "请选择发布渠道（可多选）"
    elif len(set(channels)) != len(channels):
        problems["channels"] = "发布渠道重复"
    elif needs_link and not link.strip() and ONLINE_CHANNELS & set(channels):
        problems["link"] = "在政府网站、政务微博或政务微信发布的，请填写发布链接"
    if not approved_by.strip():
        problems["approved_by"] = "请填写审核签发人"
    if problems:
        raise InvalidInput("；".join(problems.values()), field=next(iter(problems)),
                           detail={"fields": problems})


def check_screenshot(content_type: str, size: int) -> None:
    if content_type not in SCREENSHOT_TYPES:
        raise InvalidInput("发布截图应为 PNG 或 JPG 图片", field="screenshot")
    if not 0 < size <= SCREENSHOT_MAX_BYTES:
        raise InvalidInput(f"发布截图不能超过 {SCREENSHOT_MAX_BYTES // 1024 // 1024}MB", field="screenshot")


def channels_zh(channels: list[str]) -> str:
    return "、".join(CHANNELS.get(c, c) for c in channels)


def check_press(place: str, spokesperson: str) -> None:
    problems = []
    if not place.strip():
        problems.append("请填写发布会地点")
    if not spokesperson.strip():
        problems.append("请填写新闻发言人")
    if problems:
        raise InvalidInput("；".join(problems))


def check_instant(at: datetime, occurred_at: datetime, now: datetime, what: str) -> None:
    if at > now + CLOCK_SKEW:
        raise InvalidInput(f"{what}不能晚于当前时间")
    if at < occurred_at:
        raise InvalidInput(f"{what}不能早于事件发生时间")


def board_order(cases: list[tuple[str, list[datetime], datetime]]) -> list[str]:
    """The board's order, most urgent first: (case, its running clocks' due instants, when it happened).
    A case is as urgent as its nearest due instant, so the longest overdue come first, then those
    with the least time left; cases with no running clock follow, oldest event first."""
    def key(item: tuple[str, list[datetime], datetime]) -> tuple[int, datetime, str]:
        case_id, dues, occurred = item
        return (0, min(dues), case_id) if dues else (1, occurred, case_id)

    return [c[0] for c in sorted(cases, key=key)]


def hour_urgency(due_at: datetime, now: datetime) -> str:
    """Urgency of an hour clock, in the inbox's terms: overdue, within the hour, within 6 hours."""
    left = due_at - now
    if left.total_seconds() <= 0:
        return "overdue"
    if left <= timedelta(hours=1):
        return "due_today"
    return "due_soon" if left <= timedelta(hours=6) else "on_track"
