"""The demo data a newcomer sees on the first start, created through the real workflows."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select
from temporalio.worker import Worker

from models import Deadline, DisclosureRequest, IncidentCase
from shell.demo import CASES, INCIDENTS, create_demo
from tests.support.temporal import time_skipping
from worker import build_activities
from workflows.registry import WORKFLOWS


async def test_demo_cases_are_created_once(db):
    env = await time_skipping()
    queue = f"demo-{uuid.uuid4()}"
    try:
        async with Worker(env.client, task_queue=queue, workflows=WORKFLOWS,
                          activities=build_activities(db.session_factory)):
            assert await create_demo(env.client, db.session_factory, queue) == len(CASES) + len(INCIDENTS)
            assert await create_demo(env.client, db.session_factory, queue) == 0
            async with db.session_factory() as s:
                for _ in range(100):
                    incidents = list((await s.execute(select(IncidentCase))).scalars())
                    if len(incidents) == len(INCIDENTS):
                        break
                    await env.sleep(timedelta(seconds=1))
                requests = list((await s.execute(select(DisclosureRequest))).scalars())
                clocks = {d.rule for d in (await s.execute(select(Deadline).where(Deadline.process == "incident")))
                          .scalars()}
    finally:
        await env.shutdown()
    assert len(requests) == len(CASES) and len({r.stage for r in requests}) >= 5
    assert {i.grade for i in incidents} == {"major", "opinion"}
    assert clocks == {"authoritative_release", "press_conference", "opinion_response"}
