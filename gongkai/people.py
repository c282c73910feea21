"""People as pages name them: the timeline records logins (and "system", "applicant"), pages show
the person's name with their department."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Department, User

NAMED = {"system": "系统", "applicant": "申请人"}


async def actor_names(db: AsyncSession, logins: Iterable[str]) -> dict[str, str]:
    """Each login's display name with its department (李明（公开办）); logins no account has keep
    their own name, the machinery's words their Chinese."""
    logins = {x for x in logins if x}
    names = {x: NAMED.get(x, x) for x in logins}
    wanted = [x for x in logins if x not in NAMED]
    if wanted:
        rows = (await db.execute(select(User.username, User.display_name, Department.name).outerjoin(
            Department, col(Department.id) == col(User.department_id)).where(col(User.username).in_(wanted)))).all()
        for username, display_name, department in rows:
            names[username] = f"{display_name}（{department}）" if department and department not in display_name \
                else display_name
    return names
