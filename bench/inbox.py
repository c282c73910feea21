"""Benchmark: the officer inbox and the supervisors' board with 100,000 disclosure requests.

Loads N requests with their open task and reply deadline into a fresh database (SQLite by default,
PostgreSQL with --postgres URL), then times the pages' server time in-process (the ASGI app called
directly, so no network) for several users, and prints median and p95 in milliseconds.

    .venv/bin/python -m bench.inbox                       # SQLite, 100,000 requests
    .venv/bin/python -m bench.inbox --postgres postgresql://postgres@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert, select, text

from gongkai.clock import CST
from gongkai.disclosure import APPLICANT_TYPES
from gongkai.settings import load_settings
from models import Deadline, Department, DisclosureRequest, Task, User
from tests.support.database import POSTGRES_URL, create_database  # noqa: F401
from web.app import create_app
from web.serve import settle_process

STAGES = ["review", "handling", "consultation", "sign_off", "signed", "correction"]


def load(db, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with db.sync_session() as s:
        depts = [d.id for d in s.execute(select(Department)).scalars()]
        officers = {}
        for u in s.execute(select(User).where(User.role == "officer")).scalars():
            officers.setdefault(u.department_id, []).append(u.id)
        now = datetime.now(UTC)
        batch = 5000
        for start in range(0, n, batch):
            reqs, tasks, deadlines = [], [], []
            for i in range(start, min(n, start + batch)):
                rid = f"DR-2026-{i + 1:06d}"
                dept = rnd.choice(depts)
                assignee = rnd.choice(officers[dept]) if dept in officers and rnd.random() < 0.5 else None
                received = (now - timedelta(days=rnd.randint(0, 40))).astimezone(CST).date()
                due = now + timedelta(days=rnd.randint(-15, 30), hours=rnd.randint(0, 23))
                stage = rnd.choice(STAGES)
                reqs.append(dict(id=rid, year=2026, idempotency_key=f"bench-{i}", query_code_hash="x", stage=stage,
                                 intake_channel="online", submitted_at=now, received_date=received,
                                 applicant_type=rnd.choice(list(APPLICANT_TYPES)), applicant_name=f"申请人{i}",
                                 id_doc_type="resident_id", id_doc_number="110101199001011234",
                                 description="基准测试申请", provision_form="electronic", provision_channel="email",
                                 department_id=dept, assignee_id=assignee, state={}, version=1,
                                 created_at=now, updated_at=now))
                tasks.append(dict(key=f"{rid}/stage:{stage}/1", case_id=rid, workflow_id=rid, process="disclosure",
                                  kind=f"stage:{stage}", title=f"办理 {rid}", department_id=dept, role=None,
                                  assignee_id=assignee, deadline_id=f"{rid}/reply", due_at=due, status="open",
                                  created_at=now))
                deadlines.append(dict(id=f"{rid}/reply", case_id=rid, workflow_id=rid, process="disclosure",
                                      rule="reply", label="依申请公开答复期限", kind="working_days", amount=20,
                                      department_id=dept, assignee_id=assignee, start_at=now, due_at=due,
                                      last_day=(due - timedelta(seconds=1)).astimezone(CST).date(),
                                      state="running", provisional=False, level=rnd.choice([0, 0, 0, 1, 2]),
                                      explanation=[], spec={}, version=1, updated_at=now))
            s.execute(insert(DisclosureRequest), reqs)
            s.execute(insert(Task), tasks)
            s.execute(insert(Deadline), deadlines)
            s.commit()
        # Fresh statistics, as autovacuum (PostgreSQL) or a running system would have them.
        s.execute(text("ANALYZE"))
        s.commit()


async def measure(db, paths: dict[str, list[tuple[str, str]]], rounds: int) -> dict[str, list[float]]:
    app = create_app(load_settings(), session_factory=db.session_factory, connect_temporal=False)
    settle_process()  # as `gongkai web` does
    out: dict[str, list[float]] = {}
    for username, pages in paths.items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
            login_page = await c.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', login_page.text).group(1)
            r = await c.post("/login", data={"username": username, "password": "gongkai2026", "_csrf_token": token})
            assert r.status_code in (200, 302, 303)
            for name, path in pages:
                await c.get(path)  # warm
                times = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    r = await c.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, (path, r.status_code)
                out[f"{name} ({username})"] = times
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a fresh database is created on it")
    args = parser.parse_args()
    import tests.support.database as tdb

    if args.postgres:
        tdb.POSTGRES_URL = args.postgres
    backend = "postgres" if args.postgres else "sqlite"
    db = tdb.create_database(backend)
    t0 = time.perf_counter()
    load(db, args.requests)
    print(f"backend={backend} requests={args.requests} load_seconds={time.perf_counter() - t0:.1f}")
    paths = {
        "jyj_officer": [("inbox", "/inbox"), ("inbox overdue", "/inbox?overdue=true"),
                        ("inbox search name", "/inbox?q=申请人12345"),
                        ("inbox search code", "/inbox?q=DR-2026-012345"), ("inbox board view", "/inbox?view=board")],
        "duban": [("supervisors board", "/board"), ("inbox all departments", "/inbox")],
    }
    results = asyncio.run(measure(db, paths, args.rounds))
    print(f"{'page':<40} {'median ms':>10} {'p95 ms':>10}")
    for name, times in results.items():
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{name:<40} {statistics.median(times):>10.1f} {p95:>10.1f}")
    asyncio.run(db.close())


if __name__ == "__main__":
    main()
