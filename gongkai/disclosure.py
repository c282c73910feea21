"""Disclosure requests (依申请公开): the pure rules. Stages, the national reply taxonomy (rules.md
§7), intake channels and their receipt date (GIR Art. 31), and which action is allowed when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gongkai.errors import InvalidInput, PermissionDenied
from gongkai.roles import Actor, Role

MAX_EXTENSION_WD = 20  # GIR Art. 33 ¶2
MAX_REPLY_FILES = 10  # the disclosed documents one reply carries
CORRECTION_NOTICE_WD = 7  # GIR Art. 30
DEFAULT_CORRECTION_PERIOD_WD = 15  # "合理的补正期限": no number in law; the office may change it per case
CONSULTATION_WD = 15  # GIR Art. 32
# The time-limit rules a request's clocks run by (its RuleBook carries these).
RULES = frozenset({"confirmation", "reply", "correction", "correction_period", "consultation", "extension"})
REPLY_WD = 20  # GIR Art. 33 ¶1; after a correction it counts again from the corrected application (Art. 30)
MAX_CORRECTION_FILES = 3  # as many as the application form takes
MAX_CORRECTION_SUBMISSIONS = 5  # online parts of one corrected application awaiting the office's receipt


class Stage(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # Art. 31: no clock until both sides confirm
    REVIEW = "review"
    CORRECTION = "correction"  # waiting for the applicant's corrected application
    CONSULTATION = "consultation"  # third party or other agency: the reply clock is paused
    HANDLING = "handling"
    SIGN_OFF = "sign_off"
    SIGNED = "signed"
    REPLIED = "replied"
    ARCHIVED = "archived"
    WITHDRAWN = "withdrawn"
    ABANDONED = "abandoned"  # deemed abandoned: no correction in time


STAGE_ZH = {
    Stage.AWAITING_CONFIRMATION: "待确认收到", Stage.REVIEW: "审核", Stage.CORRECTION: "待补正",
    Stage.CONSULTATION: "征求意见", Stage.HANDLING: "办理", Stage.SIGN_OFF: "待审签", Stage.SIGNED: "待答复",
    Stage.REPLIED: "已答复", Stage.ARCHIVED: "已归档", Stage.WITHDRAWN: "已撤回", Stage.ABANDONED: "视为放弃",
}
OPEN_STAGES = frozenset(Stage) - {Stage.ARCHIVED, Stage.WITHDRAWN, Stage.ABANDONED}
# Until the reply is sent the applicant may withdraw, and the reply clock matters.
BEFORE_REPLY = OPEN_STAGES - {Stage.REPLIED}

INTAKE_CHANNELS = {
    "online": "互联网", "in_person": "当面提交", "registered_post": "邮寄（需签收）",
    "ordinary_mail": "平常信函", "fax": "传真",
}
# Art. 31: for these the receipt date is the day both sides confirm; for the others it is the
# day of submission (in person) or of signing for the post.
CONFIRMATION_CHANNELS = {"online", "ordinary_mail", "fax"}

APPLICANT_TYPES = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
    "social_welfare": "社会公益组织", "legal_service": "法律服务机构", "other_org": "其他组织",
}
ID_DOC_TYPES = {"resident_id": "居民身份证", "passport": "护照", "business_license": "营业执照",
                "org_code": "统一社会信用代码证书", "other": "其他"}
PROVISION_FORMS = {"paper": "纸质", "electronic": "电子文档", "view": "现场查阅"}
PROVISION_CHANNELS = {"post": "邮寄", "email": "电子邮件", "pickup": "当面领取", "online": "网上获取"}
REPLY_CHANNELS = {"post": "邮寄", "email": "电子邮件", "in_person": "当面送达", "online": "网上送达"}
# How a corrected application reached the office (the online one from /track).
CORRECTION_CHANNELS = {"online": "网上提交", "post": "邮寄", "in_person": "当面提交"}
CONSULTATION_KINDS = {"third_party": "第三方", "agency": "其他机关"}
REVIEW_KINDS = {"reconsideration": "行政复议", "litigation_direct": "行政诉讼（未经复议）",
                "litigation_after_review": "行政诉讼（复议后）"}
REVIEW_OUTCOMES = {"pending": "尚未审结", "upheld": "维持", "corrected": "纠正", "other_outcome": "其他结果"}
EXTENSION_ZH = {"requested": "待审批", "approved": "已批准", "refused": "未批准"}


@dataclass(frozen=True)
class Reason:
    code: str
    label: str  # the annual report's exact row label


DISPOSITIONS: dict[str, tuple[str, tuple[Reason, ...]]] = {
    "GRANTED": ("予以公开", (Reason("granted", "予以公开"),)),
    "PARTIAL": ("部分公开", (Reason("partial", "部分公开（区分处理的，只计这一情形，不计其他情形）"),)),
    "DENIED": ("不予公开", (
        Reason("state_secret", "属于国家秘密"),
        Reason("law_prohibited", "其他法律行政法规禁止公开"),
        Reason("security_stability", "危及“三安全一稳定”"),
        Reason("third_party_rights", "保护第三方合法权益"),
        Reason("internal_affairs", "属于三类内部事务信息"),
        Reason("process_info", "属于四类过程性信息"),
        Reason("enforcement_dossier", "属于行政执法案卷"),
        Reason("admin_query", "属于行政查询事项"),
    )),
    "UNABLE": ("无法提供", (
        Reason("not_held", "本机关不掌握相关政府信息"),
        Reason("needs_creation", "没有现成信息需要另行制作"),
        Reason("unclear_after_correction", "补正后申请内容仍不明确"),
    )),
    "NOT_PROCESSED": ("不予处理", (
        Reason("petition_complaint", "信访举报投诉类申请"),
        Reason("repeat", "重复申请"),
        Reason("publication", "要求提供公开出版物"),
        Reason("excessive_unjustified", "无正当理由大量反复申请"),
        Reason("confirm_or_reissue", "要求行政机关确认或重新出具已获取信息"),
    )),
    "OTHER": ("其他处理", (
        Reason("correction_overdue", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        Reason("fee_unpaid", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        Reason("other", "其他"),
    )),
}
REASON_LABEL = {r.code: r.label for _d, (_l, reasons) in DISPOSITIONS.items() for r in reasons}
REASON_DISPOSITION = {r.code: d for d, (_l, reasons) in DISPOSITIONS.items() for r in reasons}
# Outcomes the system sets itself, never chosen when drafting a reply.
SYSTEM_REASONS = {"correction_overdue", "fee_unpaid"}


def check_disposition(disposition: str, reason: str) -> None:
    if disposition not in DISPOSITIONS:
        raise InvalidInput("请选择答复类型", field="disposition")
    if REASON_DISPOSITION.get(reason) != disposition:
        raise InvalidInput("答复理由与答复类型不符", field="reason")
    if reason in SYSTEM_REASONS:
        raise InvalidInput("该处理结果由系统根据期限自动认定，不能手工选择", field="reason")


# -- who may act on a request ---------------------------------------------------------------------
def require_handler(actor: Actor, department_id: int, assignee_id: int | None) -> None:
    """The assignee, or a head of the handling department (or the office head) may act."""
    if actor.role == Role.OFFICE_HEAD:
        return
    if actor.department_id != department_id:
        raise PermissionDenied("只能办理本部门的申请")
    if actor.role == Role.DEPT_HEAD:
        return
    if actor.role != Role.OFFICER:
        raise PermissionDenied("只有经办人或负责人可以办理")
    if assignee_id is not None and assignee_id != actor.user_id:
        raise PermissionDenied("该申请已由其他经办人认领")


def public_note(stage: Stage, correction_due: str | None, correction_items: str, *, submitted: bool = False) -> str:
    """What the applicant's status page says is expected of them; never internal notes.
    `submitted`: a corrected application sent online waits for the office to record its receipt."""
    if stage is Stage.CORRECTION and submitted:
        return "您已在线提交补正材料，工作人员将确认收到；答复期限补正后重新计算，自收到补正材料之日起计算。"
    if stage is Stage.CORRECTION and correction_due:
        return f"请于 {correction_due} 前补正申请：{correction_items}"
    if stage is Stage.AWAITING_CONFIRMATION:
        return "申请已提交，工作人员将与您确认收到申请的日期，答复期限自确认之日起计算。"
    return ""


def reply_clock_text(stage: str, *, counted_from: date | None, last_day: date | None, corrected: bool = False,
                     paused: bool = False, provisional: bool = False, extension_days: int = 0) -> str:
    """The reply period in one sentence, the same on /track and on the case page. While the office
    waits for a correction the period does not merely pause: it starts again, 20 working days from
    the day the corrected application is received (Art. 30); after that it says from which day."""
    if stage == Stage.CORRECTION:
        return f"补正后重新计算：自收到补正材料之日起 {REPLY_WD} 个工作日（等待补正期间不计算）"
    text = "补正后重新计算，" if corrected else ""
    text += f"自 {counted_from.isoformat()} 起 " if counted_from else ""
    text += f"{REPLY_WD} 个工作日" + (f"，经批准延长 {extension_days} 个工作日" if extension_days else "")
    if paused:
        return f"{text}；征求意见期间暂停计算，不计入期限"
    if last_day is None:
        return text
    return f"{text}，至 {last_day.isoformat()} 届满{'（暂定）' if provisional else ''}"


def tracking_code(year: int, seq: int) -> str:
    return f"DR-{year}-{seq:06d}"
