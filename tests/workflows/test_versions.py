"""Cases started before the case kit run on today's code as they ran then: the worker here declines
the kit's patch (and the local activities', as those cases had neither), the way a replay of their
history does, and what they project stays what the code before the kit projected (the inbox task
keys below are its formulas), so reconciliation finds nothing to repair in them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.worker import PatchActivationInput, Worker

from contracts.incident import IncidentInput
from contracts.policy import Draft, PolicyInput
from gongkai.clock import CST
from models import Deadline, Task
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from worker import build_activities
from workflows.disclosure import DisclosureWorkflow
from workflows.incident import IncidentWorkflow
from workflows.policy import PolicyWorkflow

START = datetime(2026, 6, 1, 9, 0, tzinfo=CST)  # a Monday


def before_the_kit(_input: PatchActivationInput) -> bool:
    return False


@pytest.fixture(params=["before the kit", "on the kit"])
async def run(request, env, db):
    queue = f"q-{uuid.uuid4()}"
    legacy = request.param == "before the kit"
    async with Worker(env.client, task_queue=queue, workflows=[DisclosureWorkflow, PolicyWorkflow, IncidentWorkflow],
                      activities=build_activities(db.session_factory),
                      patch_activation_callback=before_the_kit if legacy else None):
        yield queue, legacy


async def _keys(db, case_id: str) -> set[str]:
    async with db.session_factory() as s:
        return {t.key for t in (await s.execute(select(Task).where(
            Task.case_id == case_id, Task.status == "open", Task.kind.like("stage:%")))).scalars()}


async def test_disclosure_task_keys(env, db, run):
    queue, legacy = run
    a = await actors(db)
    rid = "DR-2026-000601"
    h = await start(env, queue, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(h, DisclosureWorkflow.claim, a["jyj_officer"])  # version 2, still under review
    assert await _keys(db, rid) == {f"{rid}/stage:review/{0 if legacy else 1}"}
    await act(h, DisclosureWorkflow.accept, a["jyj_officer"])  # version 3
    await act(h, DisclosureWorkflow.request_extension, a["jyj_officer"], 10, "需调取档案")  # version 4
    await act(h, DisclosureWorkflow.supervise, a["duban"], "请抓紧办理")  # no new version
    await act(h, DisclosureWorkflow.start_consultation, a["jyj_officer"], "某公司", "third_party")  # version 5
    # Before the kit the extension task took the projection's version each time; now it keeps its key.
    assert await _keys(db, rid) == {f"{rid}/stage:consultation/5", f"{rid}/stage:extension/{5 if legacy else 4}"}


async def test_policy_task_keys_and_clocks(env, db, run):
    queue, legacy = run
    a = await actors(db)
    cid = "PD-2026-000601"
    h = await env.client.start_workflow(PolicyWorkflow.run, PolicyInput(
        cid, "关于加快推进老旧小区改造的实施意见", "department", await department_id(db, "JYJ")), id=cid,
        task_queue=queue)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"],
              Draft("proactive", "full", "", True, True, ["qa"]))  # version 2
    # Before the kit a policy's task took a new key at every version; now it keeps it while wanted.
    assert await _keys(db, cid) == {f"{cid}/stage:drafting/2" if legacy else f"{cid}/stage:policy_drafting/1"}
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, True, "")
    await act(h, PolicyWorkflow.secrecy_review, a["jyj_head"], True, "")
    await env.sleep(timedelta(days=2))
    await act(h, PolicyWorkflow.publish, a["jyj_officer"], "2026-06-01", "http://x/zc/601")
    async with db.session_factory() as s:
        interp = await s.get(Deadline, f"{cid}/interpretation")
    # Before the kit the clock ran from the day publication was recorded (Wednesday 3 June).
    assert interp.last_day.isoformat() == ("2026-06-08" if legacy else "2026-06-04")


async def test_incident_task_keys(env, db, run):
    queue, legacy = run
    cid = "IN-2026-000601"
    occurred = await env.get_current_time() - timedelta(hours=1)
    co = await department_id(db, "ZRZY")
    await env.client.start_workflow(IncidentWorkflow.run, IncidentInput(
        cid, "某化工厂仓库火灾", "", "某工业园", "major", "media", occurred, occurred, await department_id(db, "WJW"),
        [co]), id=cid, task_queue=queue)
    await env.sleep(timedelta(seconds=5))
    names = ("release", "press", f"assist:{co}")
    assert await _keys(db, cid) == ({f"{cid}/stage:{n}" for n in names} if legacy
                                     else {f"{cid}/stage:incident_{n}/1" for n in names})
