"""The reconciliation job: the pure diff, then the job itself on a real dev server and worker
process. Drift is made on purpose (a deleted task, a case row rolled back, a deleted deadline row,
a task closed by mistake, a policy case row with a wrong stage); the scheduled run repairs each
through the case's own projection and reports it (its result, an audit entry, a log line); the next
run finds nothing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.reconcile import ReconcileActivities
from contracts.policy import PolicyInput
from contracts.reconcile import ReconcileReport, ScanInput
from gongkai.reconcile import PROJECTION_QUERY, CaseState, DeadlineRow, DeadlineState, RowState, diff, run_slice
from gongkai.settings import get_settings
from models import AuditEvent, Deadline, DisclosureRequest, PolicyCase, Task
from tests.faults.support import DriveStats, WorkerProcess, wait_for
from tests.faults.support import update as act
from tests.support.temporal import dev_server
from tests.workflows.disclosure_support import actors, department_id, request_input
from worker import ensure_schedules, reconcile_schedule_id
from workflows.disclosure import DisclosureWorkflow
from workflows.policy import PolicyWorkflow

DUE = datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


def _case(**kw) -> CaseState:
    return CaseState(**{"case_id": "DR-1", "process": "disclosure", "stage": "handling", "version": 3,
                        "task_keys": ["DR-1/stage:handle/3"],
                        "deadlines": [DeadlineState("DR-1/reply", DUE, False)], **kw})


def _row(**kw) -> RowState:
    return RowState(**{"case_id": "DR-1", "version": 3, "stage": "handling", "task_keys": ["DR-1/stage:handle/3"],
                       "deadlines": [DeadlineRow("DR-1/reply", "running", DUE)], **kw})


def test_diff_agreeing_moving_and_drifted():
    assert diff(_case(), _row(), "DR-1") is None
    assert diff(_case(settling=True), _row(version=1, stage="review"), "DR-1") is None  # a projection under way
    assert diff(_case(), _row(version=4, stage="sign_off"), "DR-1") is None  # SQL ahead: landed after the query
    lag = diff(_case(), _row(version=2, stage="review"), "DR-1")
    assert lag and len(lag.problems) == 2 and not lag.repair.row_missing and lag.repair.deadlines == []
    missing = diff(_case(), _row(version=None, stage=None, task_keys=[], deadlines=[]), "DR-1")
    assert missing and missing.repair.row_missing and missing.repair.deadlines == ["DR-1/reply"]
    tasks = diff(_case(), _row(task_keys=["DR-1/stage:review/1"]), "DR-1")
    assert tasks and tasks.problems == ["open task missing: DR-1/stage:handle/3",
                                        "stale open task: DR-1/stage:review/1"]
    moved = diff(_case(), _row(deadlines=[DeadlineRow("DR-1/reply", "running", DUE + timedelta(days=1))]), "DR-1")
    assert moved and moved.repair.deadlines == ["DR-1/reply"]
    paused = diff(_case(deadlines=[DeadlineState("DR-1/reply", DUE, True)]), _row(), "DR-1")
    assert paused and paused.repair.deadlines == ["DR-1/reply"]
    closed = diff(_case(), _row(deadlines=[DeadlineRow("DR-1/reply", "met", DUE)]), "DR-1")
    assert closed and closed.repair.deadlines == ["DR-1/reply"]


def test_run_slices_cover_every_case_once():
    ids = [f"DR-2026-{i:06d}" for i in range(10_000)]
    assert run_slice(ids[:900], 1000, 7) == (ids[:900], 0, 1)  # they fit: all, every run
    assert run_slice(ids, 0, 3) == (ids, 0, 1)  # no limit
    taken = [run_slice(ids, 1000, turn) for turn in range(20, 30)]
    assert [(index, slices) for _ids, index, slices in taken] == [(t % 10, 10) for t in range(20, 30)]
    seen = [w for part, _i, _n in taken for w in part]
    assert sorted(seen) == ids  # ten consecutive runs check every case exactly once
    assert all(850 <= len(part) <= 1150 for part, _i, _n in taken), [len(p) for p, _i, _n in taken]
    assert run_slice(ids, 1000, 30) == taken[0]  # the same slice comes round again


async def _run_schedule(client: Client, schedule_id: str, runs_before: int) -> ReconcileReport:
    handle = client.get_schedule_handle(schedule_id)
    await handle.trigger()

    async def started():
        actions = (await handle.describe()).info.recent_actions
        return actions[-1].action if len(actions) > runs_before else None

    action = await wait_for(started, 30, "the scheduled reconciliation run")
    run = client.get_workflow_handle(action.workflow_id, run_id=action.first_execution_run_id,
                                     result_type=ReconcileReport)
    return await run.result()


async def test_reconcile_schedule_repairs_drift(db, tmp_path):
    env = await dev_server(str(tmp_path / "temporal.db"))
    client = env.client
    queue = f"reconcile-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(tmp_path / "worker.log", database_url=db.url, reconcile_interval=3600,
                           address=client.service_client.config.target_host, queue=queue, var_dir=tmp_path / "var")
    try:
        await worker.start()
        schedule_id = reconcile_schedule_id(dataclasses.replace(get_settings(), task_queue=queue))
        assert any(e.get("event") == "schedule_created" and e.get("schedule_id") == schedule_id
                   for e in worker.events())
        a = await actors(db)
        officer, stats = a["jyj_officer"], DriveStats()
        dept = await department_id(db, "JYJ")
        paths = {"A": [], "B": ["claim", "accept"], "C": ["claim"], "D": ["claim", "accept"],
                 "E": ["claim", "accept", "draft_reply"], "F": []}
        ids = {k: f"DR-2026-{i:06d}" for i, k in enumerate(paths, start=1)}
        for rid in ids.values():
            await client.start_workflow(DisclosureWorkflow.run, request_input(rid, dept, datetime.now(UTC)), id=rid,
                                        task_queue=queue)
        ids["P"] = "PD-2026-000001"  # a policy case, drafting
        await client.start_workflow(PolicyWorkflow.run, PolicyInput(ids["P"], "关于加快推进老旧小区改造的实施意见",
                                                                    "department", dept, created_by="jyj_officer"),
                                    id=ids["P"], task_queue=queue)
        args = {"claim": [officer], "accept": [officer],
                "draft_reply": [officer, "GRANTED", "granted", "经审查，予以公开。"]}
        for k, steps in paths.items():
            for name in steps:
                await act(client, ids[k], name, args[name], stats)

        async def states():
            got = {k: await client.get_workflow_handle(rid).query(PROJECTION_QUERY, result_type=CaseState)
                   for k, rid in ids.items()}
            return None if any(s.settling or s.version < 1 for s in got.values()) else got

        before = await wait_for(states, 30, "every case settled")
        # A clean system: a run finds nothing.
        clean = await _run_schedule(client, schedule_id, 0)
        assert (clean.checked, clean.found, clean.repaired) == (7, 0, 0)

        # Drift, made on purpose.
        async with db.session_factory() as s:
            await s.execute(delete(Task).where(Task.key.in_(before["A"].task_keys)))
            await s.execute(update(DisclosureRequest).where(DisclosureRequest.id == ids["B"]).values(
                stage="review", version=before["B"].version - 1))
            await s.execute(delete(Deadline).where(Deadline.id == f"{ids['C']}/reply"))
            await s.execute(update(Task).where(Task.key.in_(before["D"].task_keys)).values(status="done"))
            await s.execute(update(PolicyCase).where(PolicyCase.id == ids["P"]).values(stage="closed"))
            await s.commit()

        report = await _run_schedule(client, schedule_id, 1)
        drifted = {ids[k] for k in "ABCDP"}
        assert (report.checked, report.found, report.repaired, report.unresolved) == (7, 5, 5, [])
        assert set(report.problems) == drifted
        assert report.problems[ids["A"]] == [f"open task missing: {before['A'].task_keys[0]}"]
        assert any("stage review" in p for p in report.problems[ids["B"]])
        assert report.problems[ids["C"]] == [f"deadline row missing: {ids['C']}/reply"]
        assert report.problems[ids["D"]] == [f"open task missing: {before['D'].task_keys[0]}"]
        assert report.problems[ids["P"]] == ["case row stage closed, workflow drafting"]

        after = {k: await client.get_workflow_handle(rid).query(PROJECTION_QUERY, result_type=CaseState)
                 for k, rid in ids.items()}
        async with db.session_factory() as s:
            rows = {r.id: r for r in (await s.execute(select(DisclosureRequest))).scalars()}
            rows |= {r.id: r for r in (await s.execute(select(PolicyCase))).scalars()}
            open_tasks = {t.case_id: t.key for t in (await s.execute(select(Task).where(
                Task.status == "open", Task.kind.like("stage:%")))).scalars()}
            reply_c = await s.get(Deadline, f"{ids['C']}/reply")
            audits = list((await s.execute(select(AuditEvent).where(AuditEvent.action == "reconciled"))).scalars())
        for k, rid in ids.items():
            st = after[k]
            assert (rows[rid].stage, rows[rid].version) == (st.stage, st.version), k
            assert [open_tasks.get(rid)] == st.task_keys, k
            repaired = k in "ABCDP"
            assert st.version == before[k].version + repaired, k  # a repair is one new projected version
            assert st.stage == before[k].stage, k
        assert reply_c is not None and reply_c.due_at == next(d.due_at for d in after["C"].deadlines)
        assert reply_c.state == "running"
        # Reported: an entry on each repaired case, one for the run, and a log line.
        assert sorted(e.case_id for e in audits) == sorted([*drifted, "reconcile"])
        job = next(e for e in audits if e.case_id == "reconcile")
        assert job.detail["found"] == 5 and job.detail["repaired"] == 5 and "已修复 5 件" in job.summary
        lines = [e for e in worker.events() if e.get("event") == "reconcile_finished"]
        assert [(e["found"], e["repaired"]) for e in lines] == [(0, 0), (5, 5)]
        assert lines[-1]["cases"] == sorted(drifted)

        # The repair holds: the next run finds nothing; and creating the schedule again changes nothing.
        again = await _run_schedule(client, schedule_id, 2)
        assert (again.found, again.repaired, again.checked, again.open, again.slices) == (0, 0, 7, 7, 1)

        # More open cases than a run's batch: each run asks about one slice, and consecutive runs
        # find drift on every case once (a task closed by mistake on each, none repaired here).
        async with db.session_factory() as s:
            await s.execute(update(Task).where(Task.case_id.in_(ids.values()), Task.status == "open",
                                               Task.kind.like("stage:%")).values(status="done"))
            await s.commit()
        scan = ActivityEnvironment()
        scanner = ReconcileActivities(db.session_factory, client, queue)
        parts = [await scan.run(scanner.scan, ScanInput(batch=3, turn=turn)) for turn in range(3)]
        assert [(r.open, r.slice, r.slices) for r in parts] == [(7, 0, 3), (7, 1, 3), (7, 2, 3)]
        found = [d.case_id for r in parts for d in r.drifts]
        assert sorted(found) == sorted(ids.values()) and sum(r.checked for r in parts) == 7
        await scan.run(scanner.record, ReconcileReport("sliced", checked=3, found=2, repaired=2, open=7, slice=1,
                                                       slices=3))
        async with db.session_factory() as s:
            entry = (await s.execute(select(AuditEvent).where(AuditEvent.key == "reconcile/sliced"))).scalar_one()
        assert entry.summary == "对账：检查 3 件（共 7 件在办，分 3 批轮查，本次第 2 批），发现偏差 2 件，已修复 2 件"
        settings = dataclasses.replace(get_settings(), task_queue=queue, reconcile_interval=3600)
        await ensure_schedules(client, settings)
        await ensure_schedules(client, settings)
        schedules = [s.id async for s in await client.list_schedules()]
        assert schedules.count(schedule_id) == 1
    finally:
        worker.stop()
        await env.shutdown()
