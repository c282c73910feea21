"""Letters (告知书) rendered from templates (gongkai/letters/*.html) with a case's data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gongkai.clock import CST
from gongkai.disclosure import REASON_LABEL
from gongkai.explain import due_text

_env = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "letters"),
                   autoescape=select_autoescape(["html"]))
OFFICE = "政府信息公开工作机构"


def render_disclosure_letter(kind: str, title: str, request: Any, view: Any, due_at: datetime | None,
                             now: datetime) -> str:
    """Every value from the case is escaped: letters are HTML shown to officers and applicants.
    `request` is the request's row, `view` its workflow's view (contracts.disclosure)."""
    template = "reply.html" if kind.startswith("reply_") else f"{kind}.html"
    r = {c: getattr(request, c) for c in request.model_fields}
    r["submitted_date"] = request.submitted_at.astimezone(CST).date().isoformat()
    return _env.get_template(template).render(
        kind=kind, title=title, r=r, s=view, d=request.disposition or view.draft.disposition,
        reason=REASON_LABEL.get(request.reason or view.draft.reason, ""),
        due=due_text(due_at) if due_at else "", today=now.astimezone(CST).strftime("%Y年%m月%d日"), office=OFFICE,
    )
