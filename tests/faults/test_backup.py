"""`gongkai backup` while requests are filed and officers act, then `gongkai restore` into a new
folder: every case and its workflow, every open deadline and its timer, and every uploaded file
come back; a deadline due while the installation was down fires once after the restore. The
backup refuses what it cannot copy (PostgreSQL: pg_dump), the restore a secret that is not the
backup's and a damaged file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tarfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Worker

from contracts.reconcile import ReconcileInput
from gongkai.database import make_async_engine, make_session_factory
from models import AuditEvent, Deadline, DisclosureRequest
from tests.faults.support import ROOT, DriveStats, free_port, update, wait_for
from tests.support.database import _settings_for
from tests.support.host import ClockHostWorkflow
from tests.support.host_types import HostInput
from tests.support.temporal import dev_server
from tests.workflows.disclosure_support import actors, department_id, request_input
from worker import build_activities
from workflows.disclosure import DisclosureWorkflow
from workflows.reconcile import ReconcileWorkflow
from workflows.registry import WORKFLOWS

RULE = "authoritative_release"  # 5 hours; the supervisor is told at the due instant
DUE_IN = 30.0  # seconds from the backup: the installation is down by then


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shell.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "GONGKAI_ENV": "test", "GONGKAI_LOG_FORMAT": "json", **env}, timeout=120)


async def test_backup_while_running_and_restore_elsewhere(db, tmp_path):
    if db.backend != "sqlite":
        refused = _cli("backup", str(tmp_path / "b.tar.gz"), GONGKAI_DATABASE_URL=db.url,
                       GONGKAI_VAR_DIR=str(tmp_path / "var"))
        assert refused.returncode == 2 and "pg_dump" in refused.stderr
        return
    old, new = tmp_path / "old", tmp_path / "new"
    old_env = {"GONGKAI_DATABASE_URL": db.url, "GONGKAI_VAR_DIR": str(old), "GONGKAI_EMBEDDED_TEMPORAL": "1"}
    upload = old / "uploads" / "ab" / ("ab" + "0" * 62)
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 an ID copy")
    env = await dev_server(str(old / "temporal.db"))
    client = env.client
    queue = f"backup-{uuid.uuid4().hex[:8]}"
    a = await actors(db)
    dept = await department_id(db, "JYJ")
    stats = DriveStats()
    filed: list[str] = []
    try:
        async with Worker(client, task_queue=queue, workflows=[*WORKFLOWS, ClockHostWorkflow],
                          activities=build_activities(db.session_factory)):
            due = datetime.now(UTC) + timedelta(seconds=DUE_IN)
            host = await client.start_workflow(
                ClockHostWorkflow.run, HostInput("T-2026-000001", RULE, "hours", 5, due - timedelta(hours=5), dept,
                                                 a["jyj_officer"].user_id), id="host-T-2026-000001", task_queue=queue)

            async def file_and_act() -> None:  # requests filed, each accepted by the office as it comes
                for i in range(1, 1000):
                    cid = f"DR-2026-{i:06d}"
                    await client.start_workflow(DisclosureWorkflow.run, request_input(cid, dept, datetime.now(UTC)),
                                                id=cid, task_queue=queue)
                    filed.append(cid)
                    if i % 2:
                        await update(client, cid, "claim", [a["jyj_officer"]], stats)
                    await asyncio.sleep(0.05)

            busy = asyncio.create_task(file_and_act())
            await asyncio.sleep(2)
            made = await asyncio.to_thread(_cli, "backup", str(tmp_path / "backup.tar.gz"), **old_env)
            assert made.returncode == 0, made.stderr
            await asyncio.sleep(1)
            busy.cancel()
            assert len(filed) > 10  # filed before, during and after the backup
            again = await asyncio.to_thread(_cli, "backup", str(tmp_path / "backup.tar.gz"), **old_env)
            assert again.returncode == 2 and "not overwritten" in again.stderr
            await asyncio.sleep(1)
        assert (await host.describe()).status == WorkflowExecutionStatus.RUNNING
    finally:
        await env.shutdown()
    assert datetime.now(UTC) < due, "the old installation stopped before the deadline fell due"
    archive = tmp_path / "backup.tar.gz"
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "gongkai.db", "temporal.db", f"uploads/ab/{upload.name}"} <= names
    assert not any("secret" in n for n in names)

    # The gap: the deadline falls due while nothing runs.
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() + 2))

    new_url = f"sqlite:///{new / 'gongkai.db'}"
    new_env = {"GONGKAI_DATABASE_URL": new_url, "GONGKAI_VAR_DIR": str(new)}
    wrong = await asyncio.to_thread(_cli, "restore", str(archive), GONGKAI_SECRET_KEY="another-secret-0123456789",
                                    **new_env)
    assert wrong.returncode == 2 and "secret differs" in wrong.stderr and not (new / "gongkai.db").exists()
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[:-200])
    broken = await asyncio.to_thread(_cli, "restore", str(damaged), **new_env)
    assert broken.returncode == 2 and not (new / "gongkai.db").exists()
    restored = await asyncio.to_thread(_cli, "restore", str(archive), **new_env)
    assert restored.returncode == 0, restored.stderr
    assert (new / "uploads" / "ab" / upload.name).read_bytes() == upload.read_bytes()
    twice = await asyncio.to_thread(_cli, "restore", str(archive), **new_env)
    assert twice.returncode == 2 and "empty installation" in twice.stderr

    engine = make_async_engine(_settings_for(new_url))
    factory = make_session_factory(engine)
    env = await dev_server(str(new / "temporal.db"), free_port())
    client = env.client
    restarted = datetime.now(UTC)
    try:
        async with Worker(client, task_queue=queue, workflows=[*WORKFLOWS, ClockHostWorkflow],
                          activities=build_activities(factory, client, queue)):
            async def escalated() -> list[AuditEvent]:
                async with factory() as s:
                    return list((await s.execute(select(AuditEvent).where(
                        AuditEvent.case_id == "T-2026-000001", AuditEvent.action == "deadline_escalated"))).scalars())

            fired = await wait_for(escalated, 60, "the deadline due during the gap")
            assert fired[0].at >= restarted - timedelta(seconds=1)
            await asyncio.sleep(2)  # and only once
            assert len(await escalated()) == 1
            async with factory() as s:
                cases = list((await s.execute(select(DisclosureRequest.id))).scalars())
                open_clocks = list((await s.execute(select(Deadline.workflow_id).where(
                    Deadline.state == "running"))).scalars())
            assert cases and set(cases) <= set(filed)
            # Every case the database kept has its workflow, running, in the restored Temporal; so
            # has every open deadline (its timer waits in that workflow).
            for workflow_id in {*cases, *open_clocks}:
                desc = await client.get_workflow_handle(workflow_id).describe()
                assert desc.status == WorkflowExecutionStatus.RUNNING, workflow_id
            outcome = await client.get_workflow_handle("host-T-2026-000001").execute_update(ClockHostWorkflow.complete)
            assert outcome == "late"
            # The two databases were copied at one point of the cases' history: nothing to repair.
            report = await client.execute_workflow(ReconcileWorkflow.run, ReconcileInput(batch=0),
                                                   id=f"reconcile-{uuid.uuid4().hex[:6]}", task_queue=queue)
            assert report.checked == len(cases) and report.found == 0 and report.unreachable == 0, report
    finally:
        await env.shutdown()
        await engine.dispose()
    print(f"\nbackup: {len(filed)} requests filed around it, {len(cases)} in the backup; deadline fired "
          f"{(fired[0].at - due).total_seconds():.1f} s after its instant (restored {time.strftime('%X')})")
