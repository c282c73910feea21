"""Benchmark: proactive disclosure at a prefecture's scale — 200,000 publication items (a year of
双公示), most published, some open with their clock, task and overdue escalations.

Loads N items into a fresh database (SQLite by default, PostgreSQL with --postgres URL), then times
the pages' server time in-process (the ASGI app called directly, no network) and prints median and
p95 in milliseconds: the office's item list (with filters), the assessment statistics, and the
supervisors' board.

    .venv/bin/python -m bench.publication                 # SQLite, 200,000 items
    .venv/bin/python -m bench.publication --postgres postgresql://postgres@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from bench.pages import main
from gongkai.clock import CST
from gongkai.publication import KINDS, month_of
from models import Deadline, Department, PublicationItem, Task

FORGOTTEN = 0.004  # items past their due still unpublished: on the supervisors' board


def load(db, n: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    kinds = list(KINDS)
    with db.sync_session() as s:
        depts = [d.id for d in s.execute(select(Department)).scalars()]
        now = datetime.now(UTC)
        batch = 5000
        for start in range(0, n, batch):
            items, tasks, deadlines = [], [], []
            for i in range(start, min(n, start + batch)):
                cid = f"PI-2026-{i + 1:06d}"
                dept = rnd.choice(depts)
                kind = rnd.choice(kinds)
                triggered = now - timedelta(days=rnd.randint(0, 364), hours=rnd.randint(0, 23))
                due = triggered + timedelta(days=rnd.choice([1, 9, 14, 28, 30]))
                # Open: most items whose clock still runs, and a few forgotten past their due (overdue).
                is_open = rnd.random() < (0.7 if due > now else FORGOTTEN)
                outcome = "" if is_open else rnd.choice(["met"] * 9 + ["late"])
                stage = rnd.choice(["drafting", "secrecy_review", "publishing"]) if is_open else "done"
                items.append(dict(id=cid, title=f"行政处罚决定书 第{i + 1}号", kind=kind, catalogue_id=None,
                                  department_id=dept, stage=stage, channels=list(KINDS[kind][2]),
                                  trigger_month=month_of(triggered),
                                  published_channels=0 if is_open else len(KINDS[kind][2]), triggered_at=triggered,
                                  published_at=None if is_open else due - timedelta(days=1), outcome=outcome,
                                  source="csv", external_key=f"bench-{i}", state={}, version=3,
                                  created_at=triggered, updated_at=triggered))
                deadlines.append(dict(id=f"{cid}/publication", case_id=cid, workflow_id=cid, process="publication",
                                      rule=KINDS[kind][1], label="主动公开期限", kind="working_days", amount=7,
                                      department_id=dept, assignee_id=None, start_at=triggered, due_at=due,
                                      last_day=(due - timedelta(seconds=1)).astimezone(CST).date(),
                                      state="running" if is_open else outcome, provisional=False,
                                      level=(1 if due < now else 0) if is_open else 0, explanation=[], spec={},
                                      version=1, updated_at=triggered, closed_at=None if is_open else due))
                if is_open:
                    tasks.append(dict(key=f"{cid}/stage:publication_{stage}/1", case_id=cid, workflow_id=cid,
                                      process="publication", kind=f"stage:publication_{stage}",
                                      title=f"登记发布：行政处罚决定书 第{i + 1}号", department_id=dept, role=None,
                                      assignee_id=None, deadline_id=f"{cid}/publication", due_at=due, status="open",
                                      created_at=triggered))
            s.execute(insert(PublicationItem), items)
            s.execute(insert(Deadline), deadlines)
            if tasks:
                s.execute(insert(Task), tasks)
            s.commit()
        s.execute(text("ANALYZE"))
        s.commit()


def pages(year: int) -> dict[str, list[tuple[str, str]]]:
    return {
        "gkb_head": [("publication list", "/publication"), ("publication list overdue", "/publication?urgency=overdue"),
                     ("publication list one department", "/publication?department=3"),
                     ("assessment statistics", f"/publication/stats/?year={year}")],
        "jyj_officer": [("publication list (own department)", "/publication")],
        "duban": [("supervisors board", "/board"), ("supervisors board, page 5", "/board?page=5")],
    }


if __name__ == "__main__":
    main("items", 200_000, load, pages(datetime.now(CST).year), "publication_item")
