"""The applicant's ID and phone numbers on staff pages: whole for those handling the request,
masked for everyone else until they choose 显示完整信息, which the case's record keeps (who and
when, never the numbers)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.logs import get_logger
from gongkai.masking import mask_id, mask_phone, sees_in_full
from models import DisclosureRequest, User
from web.actions import actor_of
from web.audit import audit

log = get_logger(__name__)


@dataclass(frozen=True)
class Identity:
    """What a page may print of the applicant's numbers."""

    id_doc_number: str
    phone: str
    masked: bool


async def handles(db: AsyncSession, user: User, row: DisclosureRequest) -> bool:
    return sees_in_full(await actor_of(db, user), row.department_id, row.assignee_id)


def identity(row: DisclosureRequest, *, full: bool) -> Identity:
    if full:
        return Identity(row.id_doc_number, row.contact_phone, masked=False)
    return Identity(mask_id(row.id_doc_type, row.id_doc_number), mask_phone(row.contact_phone), masked=True)


async def record(db: AsyncSession, user: User, row: DisclosureRequest, action: str, summary: str,
                 **detail: int | str) -> None:
    """One audit row per look at the full data by someone who does not handle the request."""
    audit(db, user, row.id, action, summary, user_id=user.id, role=str(user.role), **detail)
    await db.commit()
    log.info(action, case_id=row.id)
