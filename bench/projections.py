"""Benchmark: the CPU one call of each hot projection activity costs, called directly (no Temporal).

A migrated and seeded SQLite app database (or PostgreSQL with --postgres); --cases disclosure
requests, and for each in turn the activities a case ran at registration and at its end before
steps were folded into one activity: `disclosure.create`, `deadline.schedule` (the reply clock),
`disclosure.project` (version 1 with its stage task), `deadline.close`; then those a case runs now:
`disclosure.step` at registration (the row, two clocks and the projection in one transaction), a
step with no clock (a claim), and the reply's step (its clock closed with the projection). Prints
wall and CPU milliseconds and SQL statements per call, the best of --rounds rounds (each on fresh
cases), so other load on the machine shows less.

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
    from dataclasses import asdict, replace

    from contracts.case import CaseProjection, CaseStep, TaskSpec
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
    notice = get_rule("correction")
    notice_spec = ClockSpec(kind=ClockKind(notice.kind), amount=notice.amount, start=now, rule="correction",
                            label=notice.label, source=notice.source)

    def step(inp, version: int, stage: Stage, task: str) -> CaseProjection:
        rid = inp.request_id
        tasks = [TaskSpec(f"{rid}/stage:{task}/{version}", f"stage:{task}", f"{task} {rid}", dept, None, None,
                          f"{rid}/reply" if stage is not Stage.REPLIED else None, None)]
        view = asdict(DisclosureView(stage, dept, request_id=f"{rid}-s", version=version))
        return CaseProjection(f"{rid}-s", f"{rid}-s", version, view, "bench", "step", "一步", now, tasks=tasks)

    def registration(inp) -> CaseStep:
        rid = f"{inp.request_id}-s"
        opening = CreateInput(replace(inp, request_id=rid, idempotency_key=f"{inp.idempotency_key}-s"), rid, "review",
                              now.year)
        clocks = [ScheduleInput(replace(ref(rid), deadline_id=f"{rid}/reply"), spec, 0),
                  ScheduleInput(replace(ref(rid), deadline_id=f"{rid}/correction_notice", rule="correction"),
                                notice_spec, 0)]
        return CaseStep(step(inp, 1, Stage.REVIEW, "review"), clocks, [], {"reply_due_at": f"{rid}/reply"}, opening)

    return {
        "disclosure.create": lambda inp: env.run(disclosure.create, CreateInput(inp, inp.request_id, "review",
                                                                                now.year)),
        "deadline.schedule": lambda inp: env.run(deadlines.schedule, ScheduleInput(ref(inp.request_id), spec, 0)),
        "disclosure.project": lambda inp: env.run(disclosure.project, project(inp)),
        "deadline.close": lambda inp: env.run(deadlines.close, CloseInput(ref(inp.request_id), 1, "met", now)),
        "disclosure.step, registration": lambda inp: env.run(disclosure.step, registration(inp)),
        "disclosure.step, no clock": lambda inp: env.run(disclosure.step,
                                                         CaseStep(step(inp, 2, Stage.REVIEW, "review"))),
        "disclosure.step, a clock closed": lambda inp: env.run(disclosure.step, CaseStep(
            step(inp, 3, Stage.REPLIED, "archive"),
            closes=[CloseInput(replace(ref(f"{inp.request_id}-s"), deadline_id=f"{inp.request_id}-s/reply"), 1, "met",
                               now)])),
    }


async def measure(backend: str, n: int, rounds: int) -> dict[str, tuple[float, float, float]]:
    from sqlalchemy import event
    from temporalio.testing import ActivityEnvironment

    import tests.support.database as tdb
    from activities.deadline import DeadlineActivities
    from activities.disclosure import DisclosureActivities
    from gongkai.clock import CST
    from gongkai.settings import get_settings
    from tests.workflows.disclosure_support import department_id, request_input
    from worker import lookup_keys

    db = tdb.create_database(backend)
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        dept = await department_id(db, "JYJ")
        deadlines = DeadlineActivities(db.session_factory)
        disclosure = DisclosureActivities(db.session_factory, lookup_keys(get_settings()))
        env = ActivityEnvironment()
        best: dict[str, tuple[float, float, float]] = {}
        for _ in range(rounds):
            now = datetime.now(CST)
            run = uuid.uuid4().hex[:4].upper()
            inputs = [request_input(f"DR-{run}-{i:06d}", dept, now) for i in range(n)]

            calls = _calls(env, disclosure, deadlines, dept, now)
            for name, call in calls.items():
                statements[0] = 0
                wall, cpu = time.perf_counter(), time.process_time()
                for inp in inputs:
                    await call(inp)
                per = ((time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000,
                       statements[0] / n)
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
    print(table(["activity", "wall ms", "CPU ms", "statements"], [[k, w, c, q] for k, (w, c, q) in best.items()],
                title=f"\nOne call, {backend}, best of {args.rounds} rounds of {args.cases} cases"))
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
