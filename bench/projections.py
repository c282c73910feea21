"""Benchmark: the CPU one call of each hot projection activity costs, called directly (no Temporal).

A migrated and seeded SQLite app database (or PostgreSQL with --postgres); --cases disclosure
requests, and for each in turn the activities a case runs at registration and at its end:
`disclosure.create`, `deadline.schedule` (the reply clock), `disclosure.project` (version 1 with
its stage task), `deadline.close`. Prints wall and CPU milliseconds per call, the best of
--rounds rounds (each on fresh cases), so other load on the machine shows less.

    .venv/bin/python -m bench.projections
    .venv/bin/python -m bench.projections --cases 500 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import datetime

from bench.system import machine, table


def _calls(env, disclosure, deadlines, dept: int, now: datetime) -> dict:
    """One case's calls, by activity: each takes the case's DisclosureInput."""
    from dataclasses import asdict

    from contracts.case import CaseProjection, TaskSpec
    from contracts.deadline import CloseInput, DeadlineRef, ScheduleInput
    from contracts.disclosure import CreateInput, DisclosureView
    from gongkai.clock import ClockKind, ClockSpec
    from gongkai.disclosure import Stage
    from gongkai.profiles import get_rule

    rule = get_rule("reply")

    def ref(rid: str) -> DeadlineRef:
        return DeadlineRef(f"{rid}/reply", rid, rid, "disclosure", "reply", f"依申请公开 {rid}", department_id=dept)

    def project(inp) -> CaseProjection:
        rid = inp.request_id
        task = TaskSpec(f"{rid}/stage:review/1", "stage:review", f"审核申请 {rid}", dept, None, None,
                        f"{rid}/reply", now)
        view = asdict(DisclosureView(Stage.REVIEW, dept, request_id=rid, version=1))
        return CaseProjection(rid, rid, 1, view, "bench", "registered", "收到申请", now, tasks=[task])

    spec = ClockSpec(kind=ClockKind(rule.kind), amount=rule.amount, start=now, rule="reply", label=rule.label,
                     source=rule.source)
    return {
        "disclosure.create": lambda inp: env.run(disclosure.create, CreateInput(inp, inp.request_id, "review",
                                                                                now.year)),
        "deadline.schedule": lambda inp: env.run(deadlines.schedule, ScheduleInput(ref(inp.request_id), spec, 0)),
        "disclosure.project": lambda inp: env.run(disclosure.project, project(inp)),
        "deadline.close": lambda inp: env.run(deadlines.close, CloseInput(ref(inp.request_id), 1, "met", now)),
    }


async def measure(backend: str, n: int, rounds: int) -> dict[str, tuple[float, float]]:
    from temporalio.testing import ActivityEnvironment

    import tests.support.database as tdb
    from activities.deadline import DeadlineActivities
    from activities.disclosure import DisclosureActivities
    from gongkai.clock import CST
    from gongkai.settings import get_settings
    from tests.workflows.disclosure_support import department_id, request_input
    from worker import lookup_keys

    db = tdb.create_database(backend)
    try:
        dept = await department_id(db, "JYJ")
        deadlines = DeadlineActivities(db.session_factory)
        disclosure = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
        env = ActivityEnvironment()
        best: dict[str, tuple[float, float]] = {}
        for _ in range(rounds):
            now = datetime.now(CST)
            run = uuid.uuid4().hex[:4].upper()
            inputs = [request_input(f"DR-{run}-{i:06d}", dept, now) for i in range(n)]

            calls = _calls(env, disclosure, deadlines, dept, now)
            for name, call in calls.items():
                wall, cpu = time.perf_counter(), time.process_time()
                for inp in inputs:
                    await call(inp)
                per = ((time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000)
                best[name] = min(best.get(name, per), per, key=lambda x: x[1])
        return best
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (postgresql://postgres@127.0.0.1:55432/postgres)")
    args = parser.parse_args()
    os.environ.setdefault("GONGKAI_LOG_LEVEL", "WARNING")
    if args.postgres:
        os.environ["GONGKAI_TEST_POSTGRES_URL"] = args.postgres
    backend = "postgres" if args.postgres else "sqlite"
    best = asyncio.run(measure(backend, args.cases, args.rounds))
    print(table(["activity", "wall ms", "CPU ms"], [[k, w, c] for k, (w, c) in best.items()],
                title=f"\nOne call, {backend}, best of {args.rounds} rounds of {args.cases} cases"))
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
