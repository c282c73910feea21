"""重复申请 (GIR Art. 36(6)): the earlier requests of the same applicant for the same information.
The same applicant: the same ID number (by its keyed hash), or the same name with the same phone
number. The same information: gongkai.duplicates.same_content. Officers are warned, they decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gongkai.disclosure import STAGE_ZH, Stage
from gongkai.duplicates import same_content
from gongkai.lookup import ID_DOC, PHONE, LookupKeys
from models import Department, DisclosureRequest
from web.register.query import Viewer

CANDIDATES = 50  # the same applicant's latest requests compared by content


@dataclass(frozen=True)
class Earlier:
    id: str
    submitted_at: datetime
    stage: str
    department: str
    visible: bool  # whether the officer may open it (the link is shown only then)


async def before_registering(db: AsyncSession, keys: LookupKeys, who: Viewer, *, name: str, id_number: str,
                             phone: str, description: str) -> list[Earlier]:
    """The requests a new one (not yet registered) repeats."""
    return await earlier_requests(db, who, ids=keys.candidates(ID_DOC, id_number),
                                  phones=keys.candidates(PHONE, phone), name=name, description=description)


async def repeated_by(db: AsyncSession, who: Viewer, row: DisclosureRequest) -> list[Earlier]:
    """The requests submitted before `row` that it repeats (by the hashes stored with it)."""
    return await earlier_requests(db, who, ids=[row.id_doc_hash] if row.id_doc_hash else [],
                                  phones=[row.phone_hash] if row.phone_hash else [], name=row.applicant_name,
                                  description=row.description, before=row.submitted_at, exclude=row.id)


async def earlier_requests(db: AsyncSession, who: Viewer, *, ids: list[str], phones: list[str], name: str,
                           description: str, before: datetime | None = None,
                           exclude: str | None = None) -> list[Earlier]:
    r = DisclosureRequest
    same = or_(col(r.id_doc_hash).in_(ids) if ids else false(),
               and_(col(r.applicant_name) == name.strip(), col(r.phone_hash).in_(phones)) if phones else false())
    query = select(r.id, r.description, r.submitted_at, r.stage, r.department_id).where(same)
    if exclude:
        query = query.where(col(r.id) != exclude)
    if before:
        query = query.where(col(r.submitted_at) <= before)
    rows = (await db.execute(query.order_by(col(r.submitted_at).desc()).limit(CANDIDATES))).all()
    matches = [row for row in rows if same_content(row.description, description)]
    if not matches:
        return []
    names = dict((await db.execute(select(Department.id, Department.name))).tuples().all())
    return [Earlier(row.id, row.submitted_at, STAGE_ZH.get(Stage(row.stage), row.stage),
                    names.get(row.department_id, ""), who.sees_request(row.department_id)) for row in matches]
