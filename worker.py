"""The Temporal worker: runs every workflow and activity. Scale out by running more of it."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.deadline import DeadlineActivities
from activities.delivery import DeliveryActivities, Outbox
from activities.digest import DigestActivities
from activities.disclosure import DisclosureActivities
from activities.incident import IncidentActivities
from activities.policy import PolicyActivities
from activities.publication import PublicationActivities
from activities.reconcile import ReconcileActivities
from contracts.digest import DigestInput
from contracts.reconcile import ReconcileInput
from gongkai import temporal
from gongkai.database import make_async_engine, make_session_factory
from gongkai.digest import HOUR, MINUTE
from gongkai.failures import DomainErrorInterceptor
from gongkai.logs import configure_logging, get_logger
from gongkai.lookup import LookupKeys
from gongkai.proof import ActorProof
from gongkai.settings import Settings, get_settings
from gongkai.varfiles import owner_only_process
from models import AuditEvent
from workflows.digest import DigestWorkflow
from workflows.reconcile import ReconcileWorkflow
from workflows.registry import WORKFLOWS

log = get_logger("worker")


def activities_of(holder: object) -> list:
    """The activity methods of an activities object, bound."""
    return [getattr(holder, name) for name in dir(type(holder))
            if activity_defn(getattr(type(holder), name, None))]


def activity_defn(fn: object) -> bool:
    return hasattr(fn, "__temporal_activity_definition")


def lookup_keys(settings: Settings) -> LookupKeys:
    """The keys of the applicants' number hashes (gongkai/lookup.py), from the installation secret."""
    return LookupKeys.of(settings.secret_key, settings.previous_secret_keys)


def build_activities(session_factory, client: Client | None = None, task_queue: str = "",
                     lookup: LookupKeys | None = None, outbox: Outbox | None = None) -> list:
    """Every activity; the reconciliation ones need the Temporal client (and its task queue). The
    disclosure intake hashes the applicant's numbers with `lookup` (by default from the settings);
    messages go out as `outbox` says (by default from the settings)."""
    outbox = outbox or Outbox.of(get_settings())
    out = activities_of(DisclosureActivities(session_factory, lookup or lookup_keys(get_settings()), outbox))
    out += activities_of(DeadlineActivities(session_factory, outbox))
    out += activities_of(DeliveryActivities(session_factory, outbox))
    out += activities_of(DigestActivities(session_factory, outbox))
    for holder in (PolicyActivities, IncidentActivities, PublicationActivities):
        out += activities_of(holder(session_factory, outbox))
    if client is not None:
        out += activities_of(ReconcileActivities(session_factory, client, task_queue))
    return out


def audit_refusals(client: Client, session_factory) -> Callable[[], Awaitable[object]]:
    """Updates refused for want of a valid actor proof (gongkai.proof) become audit events. The
    check runs on the workflow's thread; the write is handed to this loop."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()

    async def write(event: dict) -> None:
        try:
            async with session_factory() as db:
                db.add(AuditEvent(key=f"refused/{uuid.uuid4()}", case_id=event["workflow_id"][:64],
                                  actor="unverified", action="update_refused",  # who was claimed: detail
                                  summary=f"操作人身份未经验证，已拒绝：{event['update']}"[:500], detail=event))
                await db.commit()
        except Exception as exc:  # the refusal stands; the log keeps it
            log.warning("refusal_not_audited", error=str(exc), **event)

    def start(event: dict) -> None:
        task = loop.create_task(write(event))
        pending.add(task)
        task.add_done_callback(pending.discard)

    for interceptor in client.config()["interceptors"]:
        if isinstance(interceptor, ActorProof):
            def hand_over(event: dict) -> None:
                loop.call_soon_threadsafe(start, event)

            interceptor.on_refused = hand_over
    return lambda: asyncio.gather(*pending)  # the writes still under way (tests wait for them)


def reconcile_schedule_id(settings: Settings) -> str:
    return f"reconcile-{settings.task_queue}"


def digest_schedule_id(settings: Settings) -> str:
    return f"digest-{settings.task_queue}"


async def ensure_schedules(client: Client, settings: Settings) -> None:
    """Every schedule the worker keeps (every worker calls this at start)."""
    await ensure_reconcile_schedule(client, settings)
    await ensure_digest_schedule(client, settings)


async def _keep(client: Client, schedule_id: str, schedule: Schedule | None, **said) -> None:
    """Create the schedule, or bring one that exists to it; None deletes it."""
    handle = client.get_schedule_handle(schedule_id)
    if schedule is None:
        try:
            await handle.delete()
            log.info("schedule_deleted", schedule_id=schedule_id)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
        return
    try:
        await client.create_schedule(schedule_id, schedule)
        log.info("schedule_created", schedule_id=schedule_id, **said)
    except ScheduleAlreadyRunningError:
        await handle.update(lambda _old: ScheduleUpdate(schedule=schedule))
        log.info("schedule_kept", schedule_id=schedule_id, **said)


async def ensure_reconcile_schedule(client: Client, settings: Settings) -> None:
    """The reconciliation schedule, created once and kept at the configured interval (0 removes it)."""
    schedule_id = reconcile_schedule_id(settings)
    if settings.reconcile_interval <= 0:
        await _keep(client, schedule_id, None)
        return
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            ReconcileWorkflow.run,
            ReconcileInput(batch=settings.reconcile_batch, every_seconds=settings.reconcile_interval),
            id=schedule_id, task_queue=settings.task_queue, execution_timeout=timedelta(hours=1),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.reconcile_interval))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    await _keep(client, schedule_id, schedule, every_seconds=settings.reconcile_interval)


def digest_spec() -> ScheduleSpec:
    """Every day at 08:30 Beijing time; the run itself skips weekends and holidays, as the
    working-day calendar (which a schedule cannot read) says."""
    return ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(HOUR)], minute=[ScheduleRange(MINUTE)],
                                                        comment="daily digest, 08:30 Beijing time")],
                        time_zone_name="Asia/Shanghai")


async def ensure_digest_schedule(client: Client, settings: Settings) -> None:
    """The daily digest's schedule, created once (GONGKAI_DIGEST=0 removes it). A run missed while
    the server was down is caught up within two hours, not later: a digest at noon helps nobody."""
    schedule_id = digest_schedule_id(settings)
    if not settings.digest:
        await _keep(client, schedule_id, None)
        return
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(DigestWorkflow.run, DigestInput(), id=schedule_id,
                                           task_queue=settings.task_queue, execution_timeout=timedelta(hours=1)),
        spec=digest_spec(),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=2)),
    )
    await _keep(client, schedule_id, schedule, at=f"{HOUR:02d}:{MINUTE:02d} Asia/Shanghai")


async def connect(settings: Settings, attempts: int = 60) -> Client:
    for attempt in range(1, attempts + 1):
        try:
            return await temporal.connect(settings)
        except Exception as exc:  # the dev server may still be starting
            if attempt == attempts:
                raise
            log.info("temporal_not_ready", attempt=attempt, error=str(exc))
            await asyncio.sleep(1)
    raise RuntimeError("unreachable")


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """Production runs workflows outside Temporal's sandbox: its proxies and per-activation exec
    cost a fifth of the worker's CPU per case (bench.throughput, docs/operations.md).
    Determinism is checked where it is cheap: every workflow test and history replay runs in the
    default, strict sandbox, so a non-deterministic call fails CI. GONGKAI_WORKFLOW_SANDBOX=1
    brings the sandbox back in production, with our stateless modules passed through."""
    if not settings.workflow_sandbox:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())


def build_worker(client: Client, settings: Settings, session_factory, *, extra_workflows: list | None = None,
                 extra_activities: list | None = None, interceptors: list | None = None, outbox: Outbox | None = None,
                 **kwargs) -> Worker:
    audit_refusals(client, session_factory)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[*WORKFLOWS, *(extra_workflows or [])],
        activities=[*build_activities(session_factory, client, settings.task_queue, lookup_keys(settings),
                                             outbox or Outbox.of(settings)),
                    *(extra_activities or [])],
        interceptors=[DomainErrorInterceptor(), *(interceptors or [])],
        workflow_runner=workflow_runner(settings),
        **kwargs,
    )


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = make_async_engine(settings, writer=True)
    client = await connect(settings)
    worker = build_worker(client, settings, make_session_factory(engine))
    try:
        await ensure_schedules(client, settings)
    except Exception as exc:  # the worker still runs every case; the next start tries again
        log.warning("schedule_not_ensured", error=str(exc))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker_started", task_queue=settings.task_queue, address=settings.temporal_address,
             sandbox=settings.workflow_sandbox)
    async with worker:
        await stop.wait()
    await engine.dispose()
    log.info("worker_stopped")


if __name__ == "__main__":
    owner_only_process()
    asyncio.run(main())
