"""What the applicant's status page and the case page say about a correction and the reply period
(the words are gongkai.disclosure.reply_clock_text's, so both say the same), and the files a
corrected application brought."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.disclosure import DisclosureView, pending_corrections
from gongkai.clock import CST, local_date
from gongkai.disclosure import CORRECTION_CHANNELS, reply_clock_text
from models import Deadline, DisclosureAttachment


def reply_clock(view: DisclosureView, reply: Deadline | None) -> str:
    """The reply period in words, or "" when it does not run (not yet confirmed, replied, closed)."""
    if reply is None or reply.state not in {"running", "paused"}:
        return ""
    return reply_clock_text(
        view.stage, counted_from=local_date(reply.start_at) if reply.start_at else None, last_day=reply.last_day,
        corrected=view.corrected, paused=reply.state == "paused", provisional=reply.provisional,
        extension_days=view.extension.days if view.extension.status == "approved" else 0)


def receipt_day(view: DisclosureView, now: datetime) -> str:
    """The day the receipt form offers: the day the applicant last sent their correction online
    (Beijing), else today."""
    sent = [local_date(c.submitted_at) for c in pending_corrections(view.corrections) if c.submitted_at]
    return max(sent, default=now.astimezone(CST).date()).isoformat()


async def correction_files(db: AsyncSession, request_id: str) -> dict[int, list[DisclosureAttachment]]:
    """The files of each corrected application, by its number (1, 2, … as in the view)."""
    rows = (await db.execute(select(DisclosureAttachment).where(
        DisclosureAttachment.request_id == request_id, col(DisclosureAttachment.correction).is_not(None))
        .order_by(col(DisclosureAttachment.id)))).scalars()
    out: dict[int, list[DisclosureAttachment]] = {}
    for f in rows:
        assert f.correction is not None
        out.setdefault(f.correction, []).append(f)
    return out


def context(view: DisclosureView, reply: Deadline | None, now: datetime) -> dict[str, Any]:
    """What both pages show of the correction: the period's sentence, the submissions, their channels."""
    due = date.fromisoformat(view.correction_due) if view.correction_due else None
    return {"reply_clock": reply_clock(view, reply), "corrections": view.corrections,
            "pending_corrections": pending_corrections(view.corrections), "correction_channels": CORRECTION_CHANNELS,
            "correction_due": due}
