"""Demo cases on the first start, so a newcomer sees a living system: two incidents on their hour
clocks, and disclosure requests awaiting confirmation, due today, overdue, paused for a
consultation, waiting for a correction, waiting for sign-off and replied. Idempotent: does
nothing once any exists."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from temporalio.client import Client

from contracts import disclosure, incident
from contracts.disclosure import Applicant, DisclosureInput, DisclosureView
from contracts.incident import IncidentInput
from gongkai import disclosure as request_rules
from gongkai import incident as incident_rules
from gongkai.calendar_store import load_calendar
from gongkai.clock import CST, shift_working_days
from gongkai.intake import allocate
from gongkai.logs import get_logger
from gongkai.roles import Actor, DepartmentKind, Role
from gongkai.rule_store import current_book
from models import Department, DisclosureRequest, IncidentCase, User

log = get_logger(__name__)

CASES = [
    # (label, department, channel, working days since receipt, steps)
    ("待确认收到的网上申请", "GKB", "online", None, []),
    ("今日到期", "JYJ", "in_person", 20, ["claim", "accept"]),
    ("已超期", "ZRZY", "registered_post", 24, ["claim"]),
    ("征求第三方意见（暂停计时）", "JYJ", "in_person", 8, ["claim", "accept", "consult"]),
    ("等待补正", "ZRZY", "in_person", 3, ["claim", "correct"]),
    ("待审签", "GKB", "in_person", 10, ["claim", "accept", "draft"]),
    ("已答复", "JYJ", "in_person", 15, ["claim", "accept", "draft", "sign", "send"]),
]
APPLICANTS = [("张伟", "natural_person"), ("某某科技有限公司", "commercial"), ("李娜", "natural_person"),
              ("某某律师事务所", "legal_service"), ("王芳", "natural_person"), ("某某研究院", "research"),
              ("刘洋", "natural_person")]
TOPICS = ["本区2026年城镇老旧小区改造计划", "某小学新校区建设项目环评批复", "某地块国有土地使用权出让合同",
          "2025年度区级财政专项资金使用情况", "某路段拓宽工程征收补偿方案", "区卫生健康委2025年行政处罚决定",
          "区教育局2026年义务教育招生政策"]


async def create_demo(client: Client, session_factory: async_sessionmaker, task_queue: str) -> int:
    return await create_demo_requests(client, session_factory, task_queue) + \
        await create_demo_incidents(client, session_factory, task_queue)


INCIDENTS = [
    # (title, grade, source, department, hours since the event, location)
    ("某学校食堂疑似食物中毒", "major", "online", "JYJ", 2, "某实验小学"),
    ("网传某地块违规出让", "opinion", "media", "ZRZY", 30, "某街道"),
]


async def create_demo_incidents(client: Client, session_factory: async_sessionmaker, task_queue: str) -> int:
    """An open major incident with its 5-hour clock running and an opinion case near its 48 hours."""
    async with session_factory() as db:
        if (await db.execute(select(func.count(IncidentCase.id)))).scalar_one():
            return 0
        depts = {d.code: d.id for d in (await db.execute(select(Department))).scalars()}
        book = await current_book(db, incident_rules.RULES)
    if not {"JYJ", "ZRZY"} <= set(depts):
        return 0
    now = datetime.now(CST)
    made = 0
    for i, (title, grade, source, dept, hours, location) in enumerate(INCIDENTS):
        async with session_factory() as db:
            case_id, _code, new = await allocate(db, uuid.uuid5(uuid.NAMESPACE_URL, f"gongkai-demo-in-{i}").hex,
                                                 "incident", "IN")
        if not new:
            continue
        at = now - timedelta(hours=hours)
        await client.start_workflow(incident.WORKFLOW, IncidentInput(
            case_id, f"{title}（演示数据）", "演示数据", location, grade, source, at, at, depts[dept], [],
            "demo", 12, rules=book), id=case_id, task_queue=task_queue)
        made += 1
        log.info("demo_incident", case_id=case_id, grade=grade)
    return made


async def create_demo_requests(client: Client, session_factory: async_sessionmaker, task_queue: str) -> int:
    async with session_factory() as db:
        if (await db.execute(select(func.count(DisclosureRequest.id)))).scalar_one():
            return 0
        cal = await load_calendar(db)
        book = await current_book(db, request_rules.RULES)
        departments = list((await db.execute(select(Department))).scalars())
        depts = {d.code: d.id for d in departments}
        kinds = {d.id: DepartmentKind(d.kind) for d in departments}
        users = {u.username: u for u in (await db.execute(select(User))).scalars()}
    if not {"GKB", "JYJ", "ZRZY"} <= set(depts):
        log.info("demo_skipped", reason="demo departments missing")
        return 0

    def actor(name: str) -> Actor:
        u = users[name]
        assert u.id is not None
        return Actor(u.id, u.username, Role(u.role), u.department_id, kinds[u.department_id])

    officers = {"GKB": "gkb_officer", "JYJ": "jyj_officer", "ZRZY": "zrzy_officer"}
    today = datetime.now(CST).date()
    made = 0
    for i, (label, dept, channel, age, steps) in enumerate(CASES):
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"gongkai-demo-{i}").hex
        async with session_factory() as db:
            request_id, query_code, _new = await allocate(db, key, with_code=True)
        received = shift_working_days(cal, today, -age).isoformat() if age is not None else None
        name, kind = APPLICANTS[i]
        inp = DisclosureInput(
            request_id=request_id, idempotency_key=key, query_code_hash="", intake_channel=channel,
            submitted_at=datetime.now(CST), description=f"申请公开{TOPICS[i]}（演示数据：{label}）",
            applicant=Applicant(kind, name, "resident_id" if kind == "natural_person" else "business_license",
                                "110101199001011234" if kind == "natural_person" else "91110000MA00000000",
                                "13800000000", "demo@example.cn"),
            provision_form="electronic", provision_channel="email", department_id=depts[dept], received_date=received,
            registered_by="demo", rules=book,
        )
        handle = await client.start_workflow(disclosure.WORKFLOW, inp, id=request_id, task_queue=task_queue)
        officer = actor(officers[dept])

        async def step(name: str, *args, _handle=handle) -> DisclosureView:
            return await _handle.execute_update(name, args=list(args), result_type=DisclosureView)

        for s in steps:
            if s == "claim":
                await step("claim", officer)
            elif s == "accept":
                await step("accept", officer)
            elif s == "consult":
                await step("start_consultation", officer, "某某建设集团有限公司", "third_party")
            elif s == "correct":
                await step("request_correction", officer, "请写明所需信息的文号或形成时间", 15)
            elif s == "draft":
                await step("draft_reply", officer, "GRANTED", "granted", "经审查，您申请的信息予以公开，详见附件。")
            elif s == "sign":
                await step("sign_off", actor("gkb_head"), True, "同意")
            elif s == "send":
                await step("send_reply", officer, today.isoformat(), "email")
        made += 1
        log.info("demo_case", request_id=request_id, label=label, query_code=query_code)
    return made
