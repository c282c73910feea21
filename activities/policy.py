"""Policy-case activities: the idempotent projection into SQL (row, stage tasks, audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.disclosure import TaskSpec
from activities.store import insert_once, sync_stage_tasks, update_if_older
from gongkai.logs import bind, get_logger
from models import AuditEvent, PolicyCase

log = get_logger(__name__)


@dataclass
class PolicyInput:
    case_id: str
    title: str
    issuance: str  # department, government, joint
    department_id: int
    normative: bool = False
    doc_number: str = ""
    co_issuers: list[int] = field(default_factory=list)
    created_by: str = "system"
    follow_up_days: int = 90  # reminders to keep interpreting while the policy is in force


@dataclass
class PolicyProjection:
    case_id: str
    workflow_id: str
    version: int
    fields: dict
    actor: str
    action: str
    summary: str
    at: datetime
    tasks: list[TaskSpec] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


class PolicyActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    @activity.defn(name="policy.project")
    async def project(self, p: PolicyProjection) -> None:
        bind(case_id=p.case_id, workflow_id=p.workflow_id, actor=p.actor)
        values = {name: date.fromisoformat(value) if name in {"published_on", "interpretation_on"}
                  and isinstance(value, str) else value for name, value in p.fields.items() if name != "co_issuers"}
        values["state"] = {**p.fields.get("state", {}), "co_issuers": p.fields.get("co_issuers", [])}  # kept there
        values["updated_at"] = p.at
        async with self.session_factory() as session:
            if not await update_if_older(session, PolicyCase, p.case_id, p.version, values) and not await insert_once(
                    session, PolicyCase(id=p.case_id, version=p.version, **values), on="id"):
                return  # already applied (a retry), or overtaken by a newer state; else the first created the row
            await insert_once(session, AuditEvent(key=f"{p.case_id}/v{p.version}", case_id=p.case_id, actor=p.actor,
                                                  action=p.action, summary=p.summary, detail=p.detail, at=p.at))
            await sync_stage_tasks(session, p.case_id, p.workflow_id, "policy", p.tasks, p.at)
            await session.commit()
        log.info("policy_projected", action=p.action, version=p.version)
