"""A time-skipping server with a worker that sends its messages to a real SMTP receiver: what the
tests of reminders, digests and applicants' mail share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import Outbox
from gongkai.channels import Smtp
from gongkai.settings import get_settings
from tests.support.receivers import SmtpReceiver
from tests.support.temporal import time_skipping
from worker import build_activities
from workflows.delivery import DeliveryWorkflow

SENDER = "gongkai@example.gov.cn"


@dataclass
class Sending:
    env: WorkflowEnvironment
    queue: str
    smtp: SmtpReceiver
    outbox: Outbox


@asynccontextmanager
async def sending(db, start: datetime | None, workflows: Iterable[type], *, refuse: Iterable[str] = (),
                  **outbox: Any) -> AsyncIterator[Sending]:
    """The server from `start`, a mailbox refusing `refuse`, and a worker of `workflows` (and the
    delivery workflow) whose outbox is the settings' with the mailbox and `outbox`'s changes (a quick
    retry unless told otherwise)."""
    env = await time_skipping(start)
    try:
        async with SmtpReceiver(tuple(refuse)) as smtp:
            changes: dict[str, Any] = {"retry_seconds": 0.2, **outbox}
            box = Outbox.of(get_settings()).replace(smtp=Smtp("127.0.0.1", smtp.port, SENDER), **changes)
            queue = f"q-{uuid.uuid4()}"
            async with Worker(env.client, task_queue=queue, workflows=[*workflows, DeliveryWorkflow],
                              activities=build_activities(db.session_factory, outbox=box)):
                yield Sending(env, queue, smtp, box)
    finally:
        await env.shutdown()
