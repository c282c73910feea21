"""Benchmark: the worker's resident memory with many open cases waiting on their timers.

Starts a Temporal dev server (SQLite file, WAL), a migrated and seeded SQLite app database and
the production worker (`gongkai worker`, its own process), then opens --cases disclosure requests
registered in person and received today: each waits in review on its 20-working-day reply clock
and its 7-working-day correction-notice clock (two durable timers, plus their reminder rungs).
Waits until SQL shows every case and both deadlines scheduled, lets the worker settle, and prints
the worker's RSS before and after, and per case. Then runs the reconciliation job over them
twice: once as the schedule does (a slice of GONGKAI_RECONCILE_BATCH, 1000, cases asked per
run), once asking every open case in one run (batch 0), and prints how long each took and how
many cases it could not ask.

The worker keeps at most max_cached_workflows workflows in memory (worker.py leaves the SDK's
default, 1000): beyond that the least recently used are evicted and, when a timer fires or an
update arrives, replayed from their history. So RSS grows with the first thousand cases and then
flattens; the rest cost nothing in the worker until they wake.

    .venv/bin/python -m bench.memory                  # 10,000 cases
    .venv/bin/python -m bench.memory --cases 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from bench.system import ROOT, machine, rss_mb, start_dev_server, stop, table
from gongkai.settings import get_settings
from gongkai.temporal import connect as secure_connect

QUEUE = "bench-memory"
CACHE = 1000  # temporalio.worker.Worker's default max_cached_workflows; worker.py does not set it


async def counts(db, prefix: str) -> tuple[int, int]:
    from models import Deadline, DisclosureRequest

    async with db.session_factory() as s:
        cases = (await s.exec(select(func.count()).select_from(DisclosureRequest).where(
            DisclosureRequest.id.startswith(prefix), DisclosureRequest.version >= 1))).one()
        deadlines = (await s.exec(select(func.count()).select_from(Deadline).where(
            Deadline.case_id.startswith(prefix), Deadline.version >= 0, Deadline.state == "running"))).one()
    return cases, deadlines


async def open_cases(address: str, db, n: int, concurrency: int, samples: list, worker_pid: int) -> float:
    from gongkai.clock import CST
    from tests.workflows.disclosure_support import department_id, request_input
    from workflows.disclosure import DisclosureWorkflow

    client = await secure_connect(get_settings(), address)
    dept = await department_id(db, "JYJ")
    prefix = f"DR-{uuid.uuid4().hex[:4].upper()}-"
    sem = asyncio.Semaphore(concurrency)
    t0 = time.monotonic()

    async def one(i: int) -> None:
        async with sem:
            inp = request_input(f"{prefix}{i:06d}", dept, datetime.now(CST))
            await client.start_workflow(DisclosureWorkflow.run, inp, id=inp.request_id, task_queue=QUEUE)

    await asyncio.gather(*(one(i) for i in range(n)))
    started = time.monotonic() - t0
    while True:  # every case projected and both its clocks scheduled
        cases, deadlines = await counts(db, prefix)
        samples.append((time.monotonic() - t0, cases, rss_mb(worker_pid)))
        if cases >= n and deadlines >= 2 * n:
            break
        await asyncio.sleep(5)
    print(f"{n} workflows started in {started:.0f} s, all projected with their clocks in "
          f"{time.monotonic() - t0:.0f} s")
    return time.monotonic() - t0


async def reconcile_runs(address: str, batches: list[int]) -> list[list]:
    """One Reconcile run per batch size, as the schedule starts it: [batch, seconds, report]."""
    from contracts.reconcile import ReconcileInput
    from workflows.reconcile import ReconcileWorkflow

    client = await secure_connect(get_settings(), address)
    rows = []
    for batch in batches:
        t0 = time.monotonic()
        report = await client.execute_workflow(ReconcileWorkflow.run, ReconcileInput(batch=batch),
                                               id=f"bench-reconcile-{batch}-{uuid.uuid4().hex[:6]}",
                                               task_queue=QUEUE)
        rows.append([batch, time.monotonic() - t0, report])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50, help="workflow starts in flight")
    parser.add_argument("--settle", type=float, default=30, help="seconds to wait before the last reading")
    parser.add_argument("--no-reconcile", dest="reconcile", action="store_false",
                        help="skip the reconciliation runs")
    parser.add_argument("--batches", default="1000,0", help=(
        "the reconciliation runs' batch sizes, comma-separated (0: every open case in one run, which "
        "takes minutes past 10,000)"))
    args = parser.parse_args()

    import tests.support.database as tdb

    tmp = Path(tempfile.mkdtemp(prefix="gk-memory-"))
    server = worker = None
    samples: list[tuple[float, int, float]] = []
    try:
        server, address = start_dev_server(tmp / "temporal.db", tmp / "temporal.log")
        db = tdb.create_database("sqlite")
        env = {**os.environ, "GONGKAI_DATABASE_URL": db.url, "GONGKAI_TEMPORAL_ADDRESS": address,
               "GONGKAI_TASK_QUEUE": QUEUE, "GONGKAI_VAR_DIR": str(tmp), "GONGKAI_LOG_LEVEL": "WARNING",
               "GONGKAI_LOG_FORMAT": "json"}
        worker = subprocess.Popen([sys.executable, "-m", "shell.cli", "worker"], cwd=ROOT, env=env,
                                  stdout=(tmp / "worker.log").open("wb"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        time.sleep(10)  # imported, connected, polling
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {tmp / 'worker.log'}")
        before = rss_mb(worker.pid)
        server_before = rss_mb(server.pid)
        elapsed = asyncio.run(open_cases(address, db, args.cases, args.concurrency, samples, worker.pid))
        at_end = rss_mb(worker.pid)
        time.sleep(args.settle)
        after = rss_mb(worker.pid)
        server_after = rss_mb(server.pid)
        peak = max(s[2] for s in samples + [(0, 0, after)])
        runs = asyncio.run(reconcile_runs(address, [int(b) for b in args.batches.split(',')])) if args.reconcile else []
        after_reconcile = rss_mb(worker.pid)
        asyncio.run(db.close())
        shutil.rmtree(Path(db.url.removeprefix("sqlite:///")).parent, ignore_errors=True)
    finally:
        stop(worker)
        stop(server)
        shutil.rmtree(tmp, ignore_errors=True)
    cached = min(args.cases, CACHE)
    print(table(["worker RSS", "MB"], [
        ["before (started, no case)", before],
        ["when the last case was projected", at_end],
        [f"after {args.settle:g} s idle", after],
        ["peak while opening", peak],
        ["growth", after - before],
    ], title=f"\n{args.cases:,} open disclosure requests waiting on their timers (2 clocks each)"))
    print(f"per case: {(after - before) * 1024 / args.cases:.1f} KB over all {args.cases:,} cases; "
          f"{(after - before) * 1024 / cached:.1f} KB per cached workflow (at most {CACHE} cached: "
          f"max_cached_workflows, the SDK default)")
    print(f"Temporal dev server RSS {server_before:.0f} → {server_after:.0f} MB")
    print(table(["seconds", "cases projected", "worker RSS MB"],
                [[f"{t:.0f}", c, r] for t, c, r in samples[:: max(1, len(samples) // 10)] + samples[-1:]],
                title="\nWhile opening"))
    if runs:
        print(table(["reconciliation run", "seconds", "checked", "open", "slice", "unreachable", "drift"], [
            [f"batch {b}" if b else "every open case", secs, r.checked, r.open, f"{r.slice + 1}/{r.slices}",
             r.unreachable, r.found] for b, secs, r in runs],
            title="\nReconciliation over them (each case asked for its projection_state, compared with SQL)"))
        print(f"worker RSS after the reconciliation runs {after_reconcile:.0f} MB")
    print(f"\nopened in {elapsed:.0f} s; machine: {machine()}; driver, worker and Temporal share it")


if __name__ == "__main__":
    main()
