"""Benchmark: the officer inbox and the supervisors' board with 100,000 disclosure requests.

Loads N requests with their open task and reply deadline into a fresh database (SQLite by default,
PostgreSQL with --postgres URL), then times the pages' server time in-process (the ASGI app called
directly, so no network) for several users, and prints median and p95 in milliseconds.

    .venv/bin/python -m bench.inbox                       # SQLite, 100,000 requests
    .venv/bin/python -m bench.inbox --postgres postgresql://postgres@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from bench.pages import main
from gongkai.clock import CST
from gongkai.disclosure import APPLICANT_TYPES
from models import Deadline, Department, DisclosureRequest, Task, User

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


PAGES = {
    "jyj_officer": [("inbox", "/inbox"), ("inbox overdue", "/inbox?overdue=true"),
                    ("inbox search name", "/inbox?q=申请人12345"),
                    ("inbox search code", "/inbox?q=DR-2026-012345"), ("inbox board view", "/inbox?view=board")],
    "duban": [("supervisors board", "/board"), ("inbox all departments", "/inbox")],
}


if __name__ == "__main__":
    main("requests", 100_000, load, PAGES)
