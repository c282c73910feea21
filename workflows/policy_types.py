"""Payloads of the policy workflow's updates (outside the sandboxed module)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
class PolicyView:
    case_id: str
    stage: str
    version: int
    document_version: int
    returns: int
    signatures: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    comment: str = ""
