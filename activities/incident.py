"""Incident activities: the idempotent projection into SQL (row, stage tasks, notifications, audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.deadline import recipients
from activities.disclosure import TaskSpec
from activities.store import insert_once, sync_stage_tasks, update_if_older
from gongkai.logs import bind, get_logger
from models import AuditEvent, IncidentCase, Notification

log = get_logger(__name__)


@dataclass
class IncidentInput:
    case_id: str
    title: str
    description: str
    location: str
    grade: str
    source: str
    occurred_at: datetime
    detected_at: datetime
    department_id: int  # the lead responsible department
    co_departments: list[int] = field(default_factory=list)
    created_by: str = "system"
    follow_up_hours: int = 24
    anchors: dict[str, str] = field(default_factory=dict)  # rule -> "event" or "detection", fixed at registration


@dataclass
class NoticeSpec:
    """A notification to everyone an audience means (see activities.deadline.recipients)."""

    key: str
    to: str
    department_id: int | None
    title: str
    body: str
    level: int = 0


@dataclass
class IncidentProjection:
    case_id: str
    workflow_id: str
    version: int
    fields: dict
    actor: str
    action: str
    summary: str
    at: datetime
    tasks: list[TaskSpec] = field(default_factory=list)
    notices: list[NoticeSpec] = field(default_factory=list)


DATETIME_FIELDS = {"occurred_at", "detected_at", "first_release_at", "press_at", "closed_at"}


class IncidentActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    @activity.defn(name="incident.project")
    async def project(self, p: IncidentProjection) -> int:
        """Returns how many notifications were created (0 on a retry)."""
        bind(case_id=p.case_id, workflow_id=p.workflow_id, actor=p.actor)
        created = 0
        values = {name: datetime.fromisoformat(value) if name in DATETIME_FIELDS and isinstance(value, str) else value
                  for name, value in p.fields.items()}
        values["updated_at"] = p.at
        async with self.session_factory() as session:
            if not await update_if_older(session, IncidentCase, p.case_id, p.version, values) and not await insert_once(
                    session, IncidentCase(id=p.case_id, version=p.version, **values), on="id"):
                return 0  # already applied (a retry), or overtaken by a newer state; else the first created the row
            await insert_once(session, AuditEvent(key=f"{p.case_id}/v{p.version}", case_id=p.case_id, actor=p.actor,
                                                  action=p.action, summary=p.summary, at=p.at))
            await sync_stage_tasks(session, p.case_id, p.workflow_id, "incident", p.tasks, p.at)
            for notice in p.notices:
                users = await recipients(session, notice.to, notice.department_id)
                for uid in users:
                    created += await insert_once(session, Notification(
                        key=f"{notice.key}/{uid}", user_id=uid, case_id=p.case_id, level=notice.level,
                        title=notice.title[:200], body=notice.body[:1000]))
            await session.commit()
        log.info("incident_projected", action=p.action, version=p.version, notifications=created)
        return created
