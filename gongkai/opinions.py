"""The chain of opinions (拟办意见) a signer reads before deciding: what each earlier step of the
case recorded (who, when, the verdict and its words), taken from the case's audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Audit action: (who spoke, as the signer knows them; their verdict).
STEPS: dict[str, tuple[str, str]] = {
    # policy documents
    "submitted": ("起草部门", "报送审签"),
    "attribute_reviewed": ("公开办", "公开属性审查"),
    "signed_off": ("部门负责人", "同意"),
    "sign_off_returned": ("部门负责人", "退回"),
    "office_reviewed": ("政府办", "审核通过"),
    "returned_for_completion": ("政府办", "退文"),
    "leader_signed": ("领导", "同意"),
    "leader_returned": ("领导", "退回"),
    # disclosure requests: the reply and its extension
    "accepted": ("经办人", "审核通过"),
    "consultation_ended": ("经办人", "征求意见结果"),
    "extension_requested": ("经办人", "申请延期"),
    "extension_approved": ("公开办负责人", "同意延期"),
    "extension_refused": ("公开办负责人", "不同意延期"),
    "reply_drafted": ("经办人", "拟答复"),
    "reply_returned": ("公开办负责人", "退回修改"),
    "reply_signed_off": ("公开办负责人", "同意"),
}


@dataclass(frozen=True)
class Event:
    action: str
    actor: str
    at: datetime
    summary: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class Opinion:
    step: str  # who spoke, by office: 公开办, 部门负责人, 政府办 ...
    verdict: str
    actor: str  # the login; the page shows the person's name
    at: datetime
    text: str


def words(e: Event) -> str:
    """The opinion's own words: recorded as such, or else what the summary says after its verdict."""
    said = e.detail.get("opinion") if isinstance(e.detail, Mapping) else None
    if isinstance(said, str):
        return said
    _verdict, sep, rest = e.summary.partition("：")
    return rest if sep else ""


def chain(events: Iterable[Event]) -> list[Opinion]:
    """The opinion-bearing steps in the order they happened."""
    out = []
    for e in sorted(events, key=lambda e: e.at):
        step = STEPS.get(e.action)
        if step is None:
            continue
        verdict = step[1]
        if e.action == "attribute_reviewed":
            verdict = "退回" if "退回" in e.summary else "通过"
        out.append(Opinion(step[0], verdict, e.actor, e.at, words(e)))
    return out
