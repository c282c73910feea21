"""Which open tasks a person has, as queries: the one reading of who sees what that the inbox,
the home page, the header's counts and the daily digest share."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlmodel import col

from gongkai.worklist import acts_on_department_work, widens_to
from models import Task, User


def inbox_branches(user: User, department: int | None = None, everything: bool = False) -> list[Select]:
    """The open tasks a user sees, as disjoint queries that each follow one index in due order
    (an OR across them would scan every open task). By default a person's own 待办: officers their
    own and their department's unclaimed work, everyone else what is addressed to them. With
    `everything` (全部事项), the wide roles see every task and heads their department's."""
    base = select(Task).where(col(Task.status) == "open")
    wider = widens_to(user.role) if everything else None
    if wider == "all":
        return [base.where(col(Task.department_id) == department) if department else base]
    if wider == "department":
        return [base.where(col(Task.department_id) == user.department_id),
                base.where(col(Task.assignee_id) == user.id, col(Task.department_id) != user.department_id)]
    if not acts_on_department_work(user.role):
        return [
            base.where(col(Task.assignee_id) == user.id),
            base.where(col(Task.assignee_id).is_(None), col(Task.role) == user.role,
                       or_(col(Task.department_id).is_(None), col(Task.department_id) == user.department_id)),
        ]
    return [
        base.where(col(Task.assignee_id) == user.id),
        base.where(col(Task.department_id) == user.department_id, col(Task.assignee_id).is_(None),
                   or_(col(Task.role).is_(None), col(Task.role) == user.role)),
        base.where(col(Task.department_id).is_(None), col(Task.assignee_id).is_(None), col(Task.role) == user.role),
    ]
