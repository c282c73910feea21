"""Helpers for driving disclosure workflows in tests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import select
from temporalio.client import WorkflowHandle

from contracts.disclosure import Applicant, DisclosureInput
from gongkai.clock import CST
from gongkai.roles import Actor, DepartmentKind, Role
from models import Department, User
from workflows.disclosure import DisclosureWorkflow


async def actors(db) -> dict[str, Actor]:
    async with db.session_factory() as s:
        users = list((await s.execute(select(User))).scalars())
        kinds = {d.id: DepartmentKind(d.kind) for d in (await s.execute(select(Department))).scalars()}
    return {u.username: Actor(u.id, u.username, Role(u.role), u.department_id, kinds[u.department_id])
            for u in users}


async def department_id(db, code: str) -> int:
    async with db.session_factory() as s:
        return (await s.execute(select(Department.id).where(Department.code == code))).scalar_one()


def request_input(request_id: str, dept: int, submitted: datetime, *, channel: str = "in_person",
                  received: str | None = "today") -> DisclosureInput:
    if received == "today":
        received = submitted.astimezone(CST).date().isoformat()
    return DisclosureInput(
        request_id=request_id, idempotency_key=uuid.uuid4().hex, query_code_hash="x", intake_channel=channel,
        submitted_at=submitted, applicant=Applicant("natural_person", "王小明", "resident_id", "110101199001011234",
                                                    "13800000000"),
        description="申请公开本区2025年义务教育学校招生计划", provision_form="electronic", provision_channel="email",
        department_id=dept, received_date=received, registered_by="jyj_officer",
    )


async def act(handle: WorkflowHandle, update, *args):
    return await handle.execute_update(update, args=list(args)) if len(args) != 1 else \
        await handle.execute_update(update, args[0])


async def start(env, queue: str, inp: DisclosureInput) -> WorkflowHandle:
    return await env.client.start_workflow(DisclosureWorkflow.run, inp, id=inp.request_id, task_queue=queue)
