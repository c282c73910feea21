"""What the workflow tests share: a time-skipping server that starts at the module's `START` (or
now), and a worker of every process's workflow on a queue of its own. A module that needs another
worker (declined patches, say) defines its own `run`."""

from __future__ import annotations

import uuid

import pytest
from temporalio.worker import Worker

from tests.support.temporal import time_skipping
from worker import build_activities
from workflows.disclosure import DisclosureWorkflow
from workflows.incident import IncidentWorkflow
from workflows.policy import PolicyWorkflow
from workflows.publication import PublicationWorkflow


@pytest.fixture
async def env(request):
    environment = await time_skipping(getattr(request.module, "START", None))
    yield environment
    await environment.shutdown()


@pytest.fixture
async def run(env, db):
    queue = f"q-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[DisclosureWorkflow, PolicyWorkflow, IncidentWorkflow,
                                                                          PublicationWorkflow],
                      activities=build_activities(db.session_factory)):
        yield queue
