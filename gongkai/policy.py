"""Policy documents released with their interpretation (三同步): the pure rules. The completeness
gate (C02–C04, E01–E04), who signs, and the stages."""

from __future__ import annotations

from enum import StrEnum

from gongkai.errors import InvalidInput, PermissionDenied
from gongkai.roles import Actor, Role

ISSUANCE = {"department": "部门发文", "government": "以政府名义（代拟稿）", "joint": "联合发文"}
DISCLOSURE_MODES = {"proactive": "主动公开", "on_request": "依申请公开", "withheld": "不予公开"}
DISCLOSURE_SCOPES = {"full": "全文公开", "redacted": "删减后公开", "withheld": "不予公开"}
MATERIAL_KINDS = {"qa": "问答", "graphic": "图解", "video": "视频", "expert": "专家解读", "briefing": "新闻发布/吹风会"}
# The time-limit rules a policy's clocks run by (its RuleBook carries these).
RULES = frozenset({"interpretation", "normative_publication"})
DEFAULT_FOLLOW_UP_DAYS = 90
FOLLOW_UP_DAYS_RANGE = (7, 365)
TEXT_LIMIT = 8000  # each of the document, the plan and the materials, as typed


class Stage(StrEnum):
    DRAFTING = "drafting"
    ATTRIBUTE_REVIEW = "attribute_review"  # E03: proposed non-public, the open-information office reviews
    SIGN_OFF = "sign_off"  # department head signs document and interpretation together
    OFFICE_REVIEW = "office_review"  # government office (代拟稿)
    LEADER_SIGN_OFF = "leader_sign_off"  # responsible leader (代拟稿)
    SECRECY_REVIEW = "secrecy_review"  # 保密审查 before publication
    READY = "ready"
    PUBLISHED = "published"  # interpretation clock running
    IN_FORCE = "in_force"  # interpretation published; follow-ups while in force
    CLOSED = "closed"


STAGE_ZH = {
    Stage.DRAFTING: "起草", Stage.ATTRIBUTE_REVIEW: "公开属性审查", Stage.SIGN_OFF: "部门负责人审签",
    Stage.OFFICE_REVIEW: "政府办审核", Stage.LEADER_SIGN_OFF: "领导审签", Stage.SECRECY_REVIEW: "保密审查",
    Stage.READY: "待发布", Stage.PUBLISHED: "已发布（待解读）", Stage.IN_FORCE: "已解读，跟踪中",
    Stage.CLOSED: "已办结",
}


def is_fully_public(mode: str, scope: str) -> bool:
    return mode == "proactive" and scope == "full"


def missing_items(*, has_document: bool, has_plan: bool, materials: list[str], mode: str, scope: str,
                  reasons: str) -> list[str]:
    """What the completeness gate finds missing (三同步 and the attribute rules), in Chinese."""
    missing = []
    if not has_document:
        missing.append("政策文件")
    if not has_plan:
        missing.append("解读方案")
    if not materials:
        missing.append("解读材料（问答、图解、视频、专家解读或新闻发布至少一种）")
    if mode not in DISCLOSURE_MODES or scope not in DISCLOSURE_SCOPES:
        missing.append("公开属性")
    elif not is_fully_public(mode, scope) and not reasons.strip():
        missing.append("不予公开或删减公开的理由（依法说明）")
    return missing


def require_drafter(actor: Actor, department_id: int) -> None:
    if actor.department_id != department_id or actor.role not in {Role.OFFICER, Role.DEPT_HEAD}:
        raise PermissionDenied("只有起草部门可以修改或报送")


def check_materials(materials: list[str]) -> None:
    unknown = [m for m in materials if m not in MATERIAL_KINDS]
    if unknown:
        raise InvalidInput(f"未知的解读材料类型：{'、'.join(unknown)}", field="materials")
