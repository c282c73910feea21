"""Benchmark: clocks on time when many fall due together (issue 19, "Clocks on time").

Starts a Temporal dev server (SQLite file, WAL), a migrated and seeded application database (SQLite,
or a fresh PostgreSQL database with --postgres) and the production worker (`build_worker`, as
`gongkai worker` builds it, in this process, with the clock host of the deadline tests beside the
production workflows). Then opens --clocks deadlines, each a durable deadline in its own workflow
(the helper every process uses, tests/support/host.py), an hour clock whose due instant falls in
one minute, --lead seconds from now, spread evenly over it. At its due instant each escalates: the
production activity writes the supervisors' notices and the audit entry `deadline_escalated`. The
figure is the delay from each due instant to that entry's time, read back from SQL, with how many
were delivered (each once) and how long the whole minute's clocks took.

    .venv/bin/python -m bench.clocks                     # 10,000 clocks due in one minute
    .venv/bin/python -m bench.clocks --clocks 1000 --postgres postgresql://postgres@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bench.system import CpuMeter, machine, pct, start_dev_server, stop, table
from gongkai.logs import configure_logging
from gongkai.settings import get_settings
from gongkai.temporal import connect as secure_connect

RULE = "authoritative_release"  # 5 hours from detection; the supervisors are told at the due instant
HOURS = 5


async def run(args: argparse.Namespace, address: str, db, server_pid: int) -> None:
    from models import AuditEvent
    from tests.support.host import ClockHostWorkflow
    from tests.support.host_types import HostInput
    from tests.workflows.disclosure_support import department_id
    from worker import build_worker

    settings = get_settings()
    client = await secure_connect(settings, address)
    queue = f"bench-clocks-{uuid.uuid4().hex[:6]}"
    worker = build_worker(client, dataclasses.replace(settings, task_queue=queue), db.session_factory,
                          extra_workflows=[ClockHostWorkflow])
    dept = await department_id(db, "JYJ")
    prefix = f"CK-{uuid.uuid4().hex[:4].upper()}-"
    first = datetime.now(UTC) + timedelta(seconds=args.lead)
    due = {f"{prefix}{i:06d}": first + timedelta(seconds=60 * i / args.clocks) for i in range(args.clocks)}
    async with worker:
        sem = asyncio.Semaphore(args.concurrency)
        t0 = time.monotonic()

        async def one(case_id: str) -> None:
            async with sem:
                await client.start_workflow(
                    ClockHostWorkflow.run, HostInput(case_id, RULE, "hours", HOURS,
                                                     due[case_id] - timedelta(hours=HOURS), dept),
                    id=f"host-{case_id}", task_queue=queue)

        await asyncio.gather(*(one(c) for c in due))
        started = time.monotonic() - t0
        left = (first - datetime.now(UTC)).total_seconds()
        print(f"{args.clocks:,} clocks started in {started:.0f} s; the first falls due in {left:.0f} s"
              + ("" if left > 0 else " (too late: raise --lead)"))

        async def delivered() -> dict[str, list[datetime]]:
            async with db.session_factory() as s:
                rows = (await s.exec(select(AuditEvent.case_id, AuditEvent.at).where(
                    AuditEvent.action == "deadline_escalated", AuditEvent.case_id.startswith(prefix)))).all()
            out: dict[str, list[datetime]] = {}
            for case_id, at in rows:
                out.setdefault(case_id, []).append(at)
            return out

        last_due = max(due.values())

        async def all_delivered() -> dict[str, list[datetime]]:
            while True:
                got = await delivered()
                if len(got) >= len(due) or datetime.now(UTC) > last_due + timedelta(seconds=args.wait):
                    return got
                await asyncio.sleep(1)

        await asyncio.sleep(max(0.0, left))
        meter = CpuMeter({"dev server": server_pid, "worker": os.getpid()})
        got = await meter.measure("falling due", all_delivered())
        cpu = meter.rounds["falling due"]
        done = max((min(v) for v in got.values()), default=last_due)
    late = sorted((min(at) - due[c]).total_seconds() for c, at in got.items())
    twice = sum(1 for v in got.values() if len(v) > 1)
    print(table(["clocks due in one minute", "delivered", "twice", "p50 s", "p95 s", "p99 s", "max s",
                 "last delivered after the minute, s"],
                [[args.clocks, len(got), twice, pct(late, 50), pct(late, 95), pct(late, 99), late[-1] if late else 0.0,
                  (done - last_due).total_seconds()]]))
    print("CPU while they fell due, per clock delivered: " + ", ".join(
        f"{k} {1000 * v / max(1, len(got)):.1f} ms" for k, v in cpu.items()) + " (the worker's includes this driver)")
    print(f"backend={db.backend}; the worker, the dev server and this driver share {machine()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clocks", type=int, default=10_000)
    parser.add_argument("--lead", type=float, help="seconds until the first falls due (default: time to start them)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--wait", type=float, default=600, help="seconds after the minute to wait for deliveries")
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a fresh database is created on it")
    args = parser.parse_args()
    configure_logging("WARNING", "console")  # a line per rung fired would drown the figures
    args.lead = args.lead if args.lead is not None else 60 + args.clocks / 40  # starts run at about 50 a second
    import tests.support.database as tdb

    if args.postgres:
        tdb.POSTGRES_URL = args.postgres
    db = tdb.create_database("postgres" if args.postgres else "sqlite")
    work = Path(tempfile.mkdtemp(prefix="gk-clocks-"))
    server, address = start_dev_server(work / "temporal.db", work / "temporal.log")
    try:
        asyncio.run(run(args, address, db, server.pid))
    finally:
        stop(server)
        asyncio.run(db.close())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
