"""The Temporal worker: runs every workflow and activity. Scale out by running more of it."""

from __future__ import annotations

import asyncio
import signal

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.deadline import DeadlineActivities
from activities.disclosure import DisclosureActivities
from activities.incident import IncidentActivities
from activities.policy import PolicyActivities
from gongkai.database import make_async_engine, make_session_factory
from gongkai.logs import configure_logging, get_logger
from gongkai.settings import Settings, get_settings
from workflows.errors import DomainErrorInterceptor
from workflows.registry import WORKFLOWS

log = get_logger("worker")


def build_activities(session_factory) -> list:
    deadline = DeadlineActivities(session_factory)
    disclosure = DisclosureActivities(session_factory)
    policy = PolicyActivities(session_factory)
    incident = IncidentActivities(session_factory)
    return [deadline.schedule, deadline.fire, deadline.close,
            disclosure.create, disclosure.project, disclosure.record_review, disclosure.supervise,
            policy.project, incident.project]


async def connect(settings: Settings, attempts: int = 60) -> Client:
    for attempt in range(1, attempts + 1):
        try:
            return await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)
        except Exception as exc:  # the dev server may still be starting
            if attempt == attempts:
                raise
            log.info("temporal_not_ready", attempt=attempt, error=str(exc))
            await asyncio.sleep(1)
    raise RuntimeError("unreachable")


def build_worker(client: Client, settings: Settings, session_factory, *, extra_workflows: list | None = None,
                 extra_activities: list | None = None, interceptors: list | None = None, **kwargs) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[*WORKFLOWS, *(extra_workflows or [])],
        activities=[*build_activities(session_factory), *(extra_activities or [])],
        interceptors=[DomainErrorInterceptor(), *(interceptors or [])],
        # Our workflow modules keep no module-level state, so the sandbox need not re-import them
        # for every new case (a tenth of the worker's time at load); its call checks remain.
        workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules()),
        **kwargs,
    )


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = make_async_engine(settings, writer=True)
    client = await connect(settings)
    worker = build_worker(client, settings, make_session_factory(engine))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker_started", task_queue=settings.task_queue, address=settings.temporal_address)
    async with worker:
        await stop.wait()
    await engine.dispose()
    log.info("worker_stopped")


if __name__ == "__main__":
    asyncio.run(main())
