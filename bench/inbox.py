"""Benchmark: the officer inbox, the board, the register's searches and the supervisors' board at a
province's scale: 1,000,000 disclosure requests by default.

Loads N requests over five years into a fresh database (SQLite by default, PostgreSQL with
--postgres URL; --keep URL loads a database once and reuses it), then times the pages' server time
in-process (the ASGI app called directly, so no network) for several users, and prints median and
p95 in milliseconds.

The data are shaped as a province's would be: 50 departments; a tenth of the requests open (the
newest, each with its open task and running reply clock; `--open` sets the share), the rest replied
and archived with their task done and their clock met or late; applicants' names drawn from common
surnames and given names (two or three characters, a twentieth organisations), phones and ID numbers
hashed as the system stores them, descriptions composed of a year, a place, a subject and a kind of
document; and policy cases and incidents in proportion (2 % and 0.5 %).

    .venv/bin/python -m bench.inbox                       # SQLite, 1,000,000 requests
    .venv/bin/python -m bench.inbox --requests 100000 --postgres postgresql://postgres@127.0.0.1:55432/postgres
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from bench.pages import main
from gongkai.clock import CST
from gongkai.disclosure import APPLICANT_TYPES
from gongkai.lookup import ID_DOC, PHONE, LookupKeys
from gongkai.settings import load_settings
from models import Deadline, Department, DisclosureRequest, IncidentCase, PolicyCase, Task, User

OPEN_STAGES = ["review", "handling", "consultation", "sign_off", "signed", "correction", "replied"]
DEPARTMENTS = 50
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉文斌波宇浩鹏辉晨欣怡子涵梓轩雨婷俊杰思远"
PLACES = ["城关镇", "东城街道", "西湖街道", "南山镇", "北塘乡", "新区", "开发区", "高新区", "滨江街道", "河口镇"]
SUBJECTS = ["征地补偿", "拆迁安置", "学校招生", "医疗收费", "环境监测", "道路规划", "财政预算", "食品安全",
            "住房保障", "养老服务", "河道整治", "工程招标", "行政处罚", "企业补贴", "农村低保", "公交线路",
            "垃圾处理", "水质检测", "土地出让", "危房改造", "扶贫资金", "建设项目环评", "停车收费", "学区划分"]
KINDS = ["批复文件", "会议纪要", "实施方案", "资金使用明细", "审批材料", "检测报告", "合同文本", "统计数据",
         "调查报告", "处理决定", "公示名单", "红头文件"]
FIRMS = ["科技有限公司", "律师事务所", "研究院", "置业有限公司", "环保协会"]


def _name(rnd: random.Random) -> tuple[str, str]:
    if rnd.random() < 0.05:
        return "other_org", rnd.choice(PLACES) + "".join(rnd.sample(GIVEN, 2)) + rnd.choice(FIRMS)
    given = "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
    return "natural_person", rnd.choice(SURNAMES) + given


def _description(rnd: random.Random, year: int) -> str:
    return (f"申请公开{year - rnd.randint(0, 3)}年{rnd.choice(PLACES)}{rnd.choice(SUBJECTS)}的"
            f"{rnd.choice(KINDS)}，用于{rnd.choice(['了解情况', '维护权益', '学术研究', '诉讼需要'])}")


def _departments(s) -> list[int]:
    have = {d.code for d in s.execute(select(Department)).scalars()}
    more = [dict(code=f"B{i:02d}", name=f"基准部门{i:02d}", kind="department", active=True,
                 created_at=datetime.now(UTC)) for i in range(len(have), DEPARTMENTS)]
    if more:
        s.execute(insert(Department), more)
    return [d.id for d in s.execute(select(Department)).scalars()]


def load(db, n: int, seed: int = 7, open_share: float = 0.1) -> None:
    rnd = random.Random(seed)
    keys = LookupKeys.of(load_settings().secret_key)
    now = datetime.now(UTC)
    first_open = n - int(n * open_share)  # the newest requests are the open ones
    span = timedelta(days=5 * 365)
    with db.sync_session() as s:
        depts = _departments(s)
        officers: dict[int, list[int]] = {}
        for u in s.execute(select(User).where(User.role == "officer")).scalars():
            officers.setdefault(u.department_id, []).append(u.id)
        serial: dict[int, int] = {}
        batch = 5000
        for start in range(0, n, batch):
            reqs, tasks, deadlines = [], [], []
            for i in range(start, min(n, start + batch)):
                is_open = i >= first_open
                # spread over five years, oldest first; open ones within the last 40 days
                at = (now - timedelta(days=rnd.randint(0, 40), hours=rnd.randint(0, 23)) if is_open
                      else now - span + span * (i / max(1, first_open)) - timedelta(days=41))
                year = at.astimezone(CST).year
                serial[year] = serial.get(year, 0) + 1
                rid = f"DR-{year}-{serial[year]:06d}"
                dept = rnd.choice(depts)
                assignee = rnd.choice(officers[dept]) if dept in officers and rnd.random() < 0.5 else None
                received = at.astimezone(CST).date()
                due = at + timedelta(days=28, hours=rnd.randint(0, 23))
                stage = rnd.choice(OPEN_STAGES) if is_open else "archived"
                kind, name = _name(rnd)
                phone = f"1{rnd.choice('3456789')}{rnd.randint(0, 999_999_999):09d}"
                number = f"{rnd.randint(110000, 659999)}19{rnd.randint(50, 99)}0101{rnd.randint(0, 9999):04d}"
                closed = None if is_open else at + timedelta(days=rnd.randint(5, 30))
                reqs.append(dict(id=rid, year=year, idempotency_key=f"bench-{i}", query_code_hash="x", stage=stage,
                                 intake_channel="online", submitted_at=at, received_date=received,
                                 applicant_type=kind if kind == "natural_person" else
                                 rnd.choice([t for t in APPLICANT_TYPES if t != "natural_person"]),
                                 applicant_name=name, id_doc_type="resident_id", id_doc_number=number,
                                 contact_phone=phone, id_doc_hash=keys.digest(ID_DOC, number),
                                 phone_hash=keys.digest(PHONE, phone), description=_description(rnd, year),
                                 provision_form="electronic", provision_channel="email", department_id=dept,
                                 assignee_id=assignee, disposition=None if is_open else "GRANTED",
                                 replied_at=closed, closed_at=closed, state={}, version=1, created_at=at,
                                 updated_at=closed or at))
                tasks.append(dict(key=f"{rid}/stage:{stage}/1", case_id=rid, workflow_id=rid, process="disclosure",
                                  kind=f"stage:{stage}", title=f"办理 {rid}", department_id=dept, role=None,
                                  assignee_id=assignee, deadline_id=f"{rid}/reply", due_at=due,
                                  status="open" if is_open else "done", created_at=at))
                deadlines.append(dict(id=f"{rid}/reply", case_id=rid, workflow_id=rid, process="disclosure",
                                      rule="reply", label="依申请公开答复期限", kind="working_days", amount=20,
                                      department_id=dept, assignee_id=assignee, start_at=at, due_at=due,
                                      last_day=(due - timedelta(seconds=1)).astimezone(CST).date(),
                                      state="running" if is_open else rnd.choice(["met"] * 19 + ["late"]),
                                      closed_at=closed, provisional=False,
                                      level=rnd.choice([0, 0, 0, 1, 2]) if is_open else 0,
                                      explanation=[], spec={}, version=1, updated_at=now))
            s.execute(insert(DisclosureRequest), reqs)
            s.execute(insert(Task), tasks)
            s.execute(insert(Deadline), deadlines)
            s.commit()
        _others(s, rnd, n, depts, now, span)
        s.commit()
    settle(db)


def settle(db) -> None:
    """Fresh statistics and, on PostgreSQL, the visibility map, as autovacuum leaves a running
    system's tables (without it every index-only scan visits the table too)."""
    with db.sync_session() as s:
        engine = s.get_bind()
    with engine.connect() as conn:  # VACUUM runs outside a transaction
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if db.backend == "postgres" else "ANALYZE"))
    engine.dispose()


def _others(s, rnd: random.Random, n: int, depts: list[int], now: datetime, span: timedelta) -> None:
    """Policy cases (2 % of the requests) and incidents (0.5 %), mostly closed, over the same years."""
    policies, incidents = [], []
    for i in range(n // 50):
        at = now - span * rnd.random()
        policies.append(dict(id=f"PD-{at.astimezone(CST).year}-{i + 1:06d}", title=(
            f"关于{rnd.choice(PLACES)}{rnd.choice(SUBJECTS)}的{rnd.choice(['实施意见', '管理办法', '通知'])}"),
            issuance="department", department_id=rnd.choice(depts), stage="closed" if rnd.random() < 0.9
            else "drafting", state={}, version=1, created_at=at, updated_at=at))
    for i in range(n // 200):
        at = now - span * rnd.random()
        incidents.append(dict(id=f"IN-{at.astimezone(CST).year}-{i + 1:06d}",
                              title=f"{rnd.choice(PLACES)}{rnd.choice(SUBJECTS)}舆情", grade="general",
                              source="media", department_id=rnd.choice(depts), co_departments=[],
                              occurred_at=at, detected_at=at, stage="closed", state={}, version=1,
                              created_at=at, updated_at=at))
    for rows, model in ((policies, PolicyCase), (incidents, IncidentCase)):
        for start in range(0, len(rows), 5000):
            s.execute(insert(model), rows[start:start + 5000])
    s.commit()


# Each search names someone or something the loaded data hold (seed 7): a common two-character
# name, a three-character one, a phone, words of a description.
PAGES = {
    "jyj_officer": [("inbox", "/inbox"), ("inbox overdue", "/inbox?overdue=true"),
                    ("inbox search name", "/inbox?q=王伟"),
                    ("inbox search code", "/inbox?q=DR-2026-012345"), ("inbox board view", "/inbox?view=board"),
                    ("register", "/register/"),
                    ("register search name", "/register/", {"name": "张伟"}),
                    ("register search words", "/register/", {"words": "征地补偿 会议纪要"})],
    "duban": [("supervisors board", "/board"), ("inbox all departments", "/inbox?scope=all"),
              ("register", "/register/"),
              ("register search code", "/register/", {"code": "DR-2024-012345"}),
              ("register search name", "/register/", {"name": "欧阳"}),
              ("register search name 3", "/register/", {"name": "李子涵"}),
              ("register search phone", "/register/", {"phone": "13912345678"}),
              ("register search words", "/register/", {"words": "危房改造 合同文本"}),
              ("register search word", "/register/", {"words": "低保"})],
}


if __name__ == "__main__":
    main("requests", 1_000_000, load, PAGES, "disclosure_request")
