"""The app database is unavailable for 30 seconds while officers act and new requests arrive:
the activities fail and retry, no user action is acknowledged while nothing can be written, and
once the database is back everything converges with no update lost."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import create_engine, select, text

from gongkai.database import SQLITE_BUSY_TIMEOUT_MS
from gongkai.reconcile import PROJECTION_QUERY, CaseState
from models import AuditEvent, Deadline, DisclosureRequest, Task
from tests.faults.support import PROJECTED, DriveStats, WorkerProcess, activity_attempt, since, update, wait_for
from tests.support.database import POSTGRES_URL, _sync
from tests.support.temporal import dev_server
from tests.workflows.disclosure_support import actors, department_id, request_input
from workflows.disclosure import DisclosureWorkflow

OUTAGE_S = 30
BEFORE, DURING = 20, 10  # requests registered before the outage, and arriving during it


class Outage:
    """SQLite: another connection holds the exclusive write lock, so every write waits out the
    busy timeout and fails ("database is locked"). PostgreSQL: the database refuses connections and
    every open one is terminated."""

    def __init__(self, db) -> None:
        self.db = db
        self.lock: sqlite3.Connection | None = None

    def _pg(self, *statements: str) -> None:
        name = self.db.url.rsplit("/", 1)[1]
        admin = create_engine(_sync(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for sql in statements:
                conn.execute(text(sql.format(name=name)))
        admin.dispose()

    def begin(self) -> None:
        if self.db.backend == "sqlite":
            self.lock = sqlite3.connect(self.db.url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")
        else:
            self._pg('ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = '{name}' AND pid <> pg_backend_pid()")

    def end(self) -> None:
        if self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None
        elif self.db.backend != "sqlite":
            self._pg('ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


async def test_database_unavailable_for_30_seconds(db, tmp_path):
    env = await dev_server(str(tmp_path / "temporal.db"))
    client = env.client
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(tmp_path / "worker.log", database_url=db.url,
                           address=client.service_client.config.target_host, queue=queue, var_dir=tmp_path / "var")
    outage = Outage(db)
    try:
        await worker.start()
        a = await actors(db)
        dept = await department_id(db, "JYJ")
        first = [f"DR-2026-{i:06d}" for i in range(1, BEFORE + 1)]
        later = [f"DR-2026-{i:06d}" for i in range(BEFORE + 1, BEFORE + DURING + 1)]
        for rid in first:
            await client.start_workflow(DisclosureWorkflow.run, request_input(rid, dept, datetime.now(UTC)), id=rid,
                                        task_queue=queue)

        async def registered():
            async with db.session_factory() as s:
                n = (await s.execute(select(DisclosureRequest.id).where(
                    DisclosureRequest.id.in_(first), DisclosureRequest.version >= 1))).all()
            return len(n) == BEFORE

        await wait_for(registered, 60, "the first requests registered")
        await db.engine.dispose()  # the test's own pooled connections would be cut too

        outage.begin()
        t_out = time.monotonic()
        stats = DriveStats()
        steps = [("claim", [a["jyj_officer"]]), ("accept", [a["jyj_officer"]]),
                 ("supervise", [a["duban"], "请加快办理"])]

        async def drive(rid: str) -> None:
            for name, args in steps:
                await update(client, rid, name, args, stats)

        drivers = asyncio.gather(*(drive(rid) for rid in first))
        for rid in later:  # new requests: their first write is the row itself
            await client.start_workflow(DisclosureWorkflow.run, request_input(rid, dept, datetime.now(UTC)), id=rid,
                                        task_queue=queue)
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - t_out)))
        acknowledged_during = stats.steps_done
        outage.end()
        t_back = time.monotonic()
        await asyncio.wait_for(drivers, timeout=120)
        updates_s = since(t_back)

        async def settled():
            answers = [await client.get_workflow_handle(rid).query(PROJECTION_QUERY, result_type=CaseState)
                       for rid in first + later]
            return None if any(x.settling or x.version < 1 for x in answers) else answers

        answers = {x.case_id: x for x in await wait_for(settled, 60, "every case settled")}
        converged_s = since(t_back)
    finally:
        outage.end()
        worker.stop()

    try:
        # Activities failed while the database was away and were retried (the attempt numbers
        # in the histories), and nothing was acknowledged to a user before it was written.
        attempts = Counter()
        for rid in first + later:
            async for event in client.get_workflow_handle(rid).fetch_history_events():
                attempts[rid] = max(attempts[rid], activity_attempt(event) or 0)
    finally:
        await env.shutdown()
    figures = {"backend": db.backend, "outage_s": OUTAGE_S, "acknowledged_during_outage": acknowledged_during,
               "cases_retried": sum(n > 1 for n in attempts.values()), "max_attempt": max(attempts.values()),
               "updates_done_after_s": updates_s, "all_settled_after_s": converged_s,
               "client_retries": stats.retries}
    print("\ndatabase outage:", figures)
    assert acknowledged_during == 0
    retried = sum(n >= 2 for n in attempts.values())
    if db.backend == "sqlite":
        # The worker writes SQLite through one connection (gongkai/database.py). Its holder waits out
        # the busy timeout and fails, so the holders of its first two turns fail in any 30-second
        # outage and are retried. The other cases' activities queue for it, and each is cancelled
        # at its 30-second timeout: exactly when the outage ends, so whether a queued attempt was
        # cancelled first or served first is a race the machine's load decides (14 to 24 of the
        # 30 cases seen retried). Only what must happen is asserted.
        assert SQLITE_BUSY_TIMEOUT_MS * 2 < OUTAGE_S * 1000
        assert retried >= 2, attempts
    else:
        # PostgreSQL refuses every connection at once: every case's activity in the outage failed,
        # and its retries (1, 2, 4, 8 s apart) failed again until the database came back.
        assert retried >= (BEFORE + DURING) // 2, attempts
        assert max(attempts.values()) >= 3, attempts

    # No lost update: every acknowledged action is in SQL once, and each row is its workflow's state.
    async with db.session_factory() as s:
        rows = {r.id: r for r in (await s.execute(select(DisclosureRequest).where(
            DisclosureRequest.id.in_(first + later)))).scalars()}
        audits = list((await s.execute(select(AuditEvent).where(AuditEvent.case_id.in_(first + later)))).scalars())
        open_tasks = list((await s.execute(select(Task).where(
            Task.case_id.in_(first + later), Task.status == "open"))).scalars())
    assert set(rows) == set(first + later)
    per = Counter((e.case_id, e.action) for e in audits if e.key.startswith(f"{e.case_id}/v") or
                  e.action == "supervised")
    for rid in first:
        assert (rows[rid].stage, rows[rid].version) == ("handling", answers[rid].version) == ("handling", 3), rid
        assert rows[rid].assignee_id == a["jyj_officer"].user_id
        for action in ("registered", PROJECTED["claim"], PROJECTED["accept"], "supervised"):
            assert per[(rid, action)] == 1, (rid, action)
    for rid in later:
        assert (rows[rid].stage, rows[rid].version) == ("review", answers[rid].version) == ("review", 1), rid
        assert per[(rid, "registered")] == 1
    stage_open = Counter(t.case_id for t in open_tasks if t.kind.startswith("stage:"))
    assert stage_open == Counter({rid: 1 for rid in first + later})
    assert {t.key for t in open_tasks if t.kind.startswith("stage:")} == {
        k for x in answers.values() for k in x.task_keys}


class RowLock:
    """Another connection holds the case row's write lock (SQLite: the database's) until it commits a
    newer projection, as the successful retry of a timed-out attempt does."""

    def __init__(self, db, table: str, key: str) -> None:
        self.db, self.table, self.key = db, table, key
        if db.backend == "sqlite":
            self.conn = sqlite3.connect(db.url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.conn = psycopg.connect(db.url.replace("postgresql+psycopg://", "postgresql://"))
            self.conn.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", (key,))

    def commit_newer(self, **values) -> None:
        mark = "?" if self.db.backend == "sqlite" else "%s"
        sets = ", ".join(f"{k} = {mark}" for k in values)
        self.conn.execute(f"UPDATE {self.table} SET {sets} WHERE id = {mark}", (*values.values(), self.key))
        self.conn.execute("COMMIT") if self.db.backend == "sqlite" else self.conn.commit()
        self.conn.close()


async def test_a_stale_attempt_that_waited_never_rolls_back_a_newer_projection(db):
    """An attempt that outlived its timeout waiting for the database is retried; the retry and the
    workflow's next projection land; then the first attempt gets through. It must change nothing."""
    from dataclasses import asdict

    from activities.disclosure import DisclosureActivities
    from contracts.case import CaseProjection
    from contracts.disclosure import CreateInput, DisclosureView
    from gongkai.disclosure import Stage
    from gongkai.settings import get_settings
    from worker import lookup_keys

    acts = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
    dept = await department_id(db, "JYJ")
    rid = "DR-2026-000901"

    def step(version: int, action: str, summary: str, **view) -> CaseProjection:
        return CaseProjection(rid, rid, version, asdict(DisclosureView(Stage.REVIEW, dept, request_id=rid, **view)),
                              "jyj_officer", action, summary, datetime.now(UTC))

    await acts.create(CreateInput(request_input(rid, dept, datetime.now(UTC)), rid, "review", 2026))
    await acts.project(step(1, "registered", "收到申请"))
    await db.engine.dispose()
    lock = RowLock(db, "disclosure_request", rid)
    stale = asyncio.create_task(acts.project(step(2, "claimed", "认领", assignee_id=7)))
    await asyncio.sleep(1.0)  # it has read version 1 and waits to write
    assert not stale.done()
    lock.commit_newer(version=3, stage="handling")
    await asyncio.wait_for(stale, 30)
    async with db.session_factory() as s:
        row = await s.get(DisclosureRequest, rid)
        keys = [k for (k,) in (await s.execute(select(AuditEvent.key).where(AuditEvent.case_id == rid))).all()]
    assert (row.version, row.stage, row.assignee_id) == (3, "handling", None)
    assert f"{rid}/v2" not in keys


async def test_a_stale_deadline_schedule_never_rolls_back_a_newer_one(db):
    from activities.deadline import DeadlineActivities
    from contracts.deadline import DeadlineRef, ScheduleInput
    from gongkai.clock import ClockKind, ClockSpec

    acts = DeadlineActivities(db.session_factory)
    ref = DeadlineRef("DR-2026-000902/reply", "DR-2026-000902", "DR-2026-000902", "disclosure", "reply", "测试")
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    await acts.schedule(ScheduleInput(ref, ClockSpec(ClockKind.WORKING_DAYS, 20, start), 0))
    await db.engine.dispose()
    lock = RowLock(db, "deadline", ref.deadline_id)
    stale = asyncio.create_task(acts.schedule(ScheduleInput(ref, ClockSpec(ClockKind.WORKING_DAYS, 30, start), 1,
                                                            "延长", "gkb_head")))
    await asyncio.sleep(1.0)
    assert not stale.done()
    lock.commit_newer(version=2)
    await asyncio.wait_for(stale, 30)
    async with db.session_factory() as s:
        row = await s.get(Deadline, ref.deadline_id)
        actions = [a for (a,) in (await s.execute(select(AuditEvent.action).where(
            AuditEvent.case_id == ref.case_id))).all()]
    assert (row.version, row.amount) == (2, 20)
    assert actions == ["deadline_set"]  # no move recorded by the stale attempt
