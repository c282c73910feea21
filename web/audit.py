"""Audit rows the web writes itself (administration, reveals of personal data, codec use): what
its users did outside a case's workflow. Each gets a fresh key; the caller commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import AuditEvent, User


def audit(db: AsyncSession, user: User, case_id: str, action: str, summary: str, **detail: Any) -> None:
    db.add(AuditEvent(key=f"{case_id}/{action}/{uuid.uuid4().hex}", case_id=case_id, actor=user.username,
                      action=action, summary=summary[:500], detail=detail))
