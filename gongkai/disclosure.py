"""Disclosure requests (依申请公开): the pure rules. Stages, the national reply taxonomy (rules.md
§7), intake channels and their receipt date (GIR Art. 31), and which action is allowed when."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gongkai.errors import ActionNotAllowed, InvalidInput, PermissionDenied

MAX_EXTENSION_WD = 20  # GIR Art. 33 ¶2
CORRECTION_NOTICE_WD = 7  # GIR Art. 30
DEFAULT_CORRECTION_PERIOD_WD = 15  # "合理的补正期限": no number in law; the office may change it per case
CONSULTATION_WD = 15  # GIR Art. 32


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
OPEN_STAGES = {s for s in Stage} - {Stage.ARCHIVED, Stage.WITHDRAWN, Stage.ABANDONED}
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
        raise InvalidInput("请选择答复类型")
    if REASON_DISPOSITION.get(reason) != disposition:
        raise InvalidInput("答复理由与答复类型不符")
    if reason in SYSTEM_REASONS:
        raise InvalidInput("该处理结果由系统根据期限自动认定，不能手工选择")


# -- who may do what, when ------------------------------------------------------------------------
OFFICE_ROLES = {"office_head"}  # the disclosure office head (政府信息公开工作机构负责人)
HEAD_ROLES = {"dept_head", "office_head"}


@dataclass(frozen=True)
class Actor:
    """The acting user as the workflow sees it (no personal data beyond what rules need)."""

    user_id: int
    username: str
    role: str
    department_id: int


def require_stage(stage: Stage, allowed: set[Stage], action_zh: str) -> None:
    if stage not in allowed:
        raise ActionNotAllowed(f"当前阶段（{STAGE_ZH[stage]}）不能{action_zh}")


def require_handler(actor: Actor, department_id: int, assignee_id: int | None) -> None:
    """The assignee, or a head of the handling department (or the office head) may act."""
    if actor.role == "office_head":
        return
    if actor.department_id != department_id:
        raise PermissionDenied("只能办理本部门的申请")
    if actor.role == "dept_head":
        return
    if actor.role != "officer":
        raise PermissionDenied("只有经办人或负责人可以办理")
    if assignee_id is not None and assignee_id != actor.user_id:
        raise PermissionDenied("该申请已由其他经办人认领")


def require_office_head(actor: Actor, action_zh: str) -> None:
    if actor.role != "office_head":
        raise PermissionDenied(f"只有公开办负责人可以{action_zh}")


def tracking_code(year: int, seq: int) -> str:
    return f"DR-{year}-{seq:06d}"


# -- which actions to offer (the workflow's validators stay the authority) ------------------------
ACTIONS_ZH = {
    "confirm_receipt": "确认收到", "claim": "认领", "release": "退回待认领", "assign": "分办/转办",
    "request_correction": "发出补正告知", "receive_correction": "登记已补正", "accept": "审核通过",
    "start_consultation": "征求意见", "end_consultation": "结束征求意见", "request_extension": "申请延期",
    "decide_extension": "审批延期", "draft_reply": "起草答复", "sign_off": "审签答复", "send_reply": "送达答复",
    "archive": "归档", "withdraw": "登记撤回", "record_review": "登记复议/诉讼", "supervise": "督办",
}
_STAGE_ACTIONS = {
    Stage.AWAITING_CONFIRMATION: ["confirm_receipt"],
    Stage.REVIEW: ["request_correction", "accept", "start_consultation"],
    Stage.CORRECTION: ["receive_correction"],
    Stage.CONSULTATION: ["end_consultation"],
    Stage.HANDLING: ["draft_reply", "start_consultation"],
    Stage.SIGN_OFF: [],
    Stage.SIGNED: ["send_reply"],
    Stage.REPLIED: ["archive", "record_review"],
    Stage.ARCHIVED: ["record_review"],
}


def available_actions(stage: Stage, actor: Actor, *, department_id: int, assignee_id: int | None,
                      extension_status: str, corrected: bool, overdue: bool) -> list[str]:
    if stage not in OPEN_STAGES and stage is not Stage.ARCHIVED:
        return []
    out: list[str] = []
    try:
        require_handler(actor, department_id, assignee_id)
        handler = True
    except PermissionDenied:
        handler = False
    if handler:
        out += [a for a in _STAGE_ACTIONS.get(stage, []) if not (a == "request_correction" and corrected)]
        if stage in BEFORE_REPLY - {Stage.AWAITING_CONFIRMATION, Stage.CORRECTION} and extension_status in {
                "none", "refused"} and not overdue:
            out.append("request_extension")
        if stage in BEFORE_REPLY:
            out.append("withdraw")
        if stage in OPEN_STAGES and assignee_id is not None:
            out.append("release")
    own_department = actor.department_id == department_id
    if stage in OPEN_STAGES and assignee_id is None and actor.role == "officer" and own_department:
        out.insert(0, "claim")
    if stage in OPEN_STAGES and actor.role in HEAD_ROLES and (actor.role == "office_head"
                                                              or actor.department_id == department_id):
        out.append("assign")
    if actor.role == "office_head":
        if stage is Stage.SIGN_OFF:
            out.append("sign_off")
        if extension_status == "requested" and not overdue and stage in BEFORE_REPLY:
            out.append("decide_extension")
    if actor.role == "supervisor" and stage in BEFORE_REPLY:
        out.append("supervise")
    return list(dict.fromkeys(out))
