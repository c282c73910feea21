"""The handling officer is told (patch officer-notices): a reply draft returned at sign-off, an
extension decided, a 督办 issued, a policy document returned to drafting. Each notice is written
once, however often its projection is retried, and names the instant the one way."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from gongkai.clock import CST
from gongkai.instants import deadline_text
from models import Deadline, Notification, User
from tests.support.histories import record
from tests.workflows.disclosure_support import act, actors, department_id, request_input, start
from tests.workflows.test_policy import COMPLETE
from tests.workflows.test_policy import _start as start_policy
from workflows.disclosure import DisclosureWorkflow
from workflows.policy import PolicyWorkflow

START = datetime(2026, 12, 1, 9, 30, tzinfo=CST)  # the reply falls due on 2026-12-29, at 24:00


async def _notes(db, username: str, case_id: str) -> list[Notification]:
    async with db.session_factory() as s:
        uid = (await s.execute(select(User.id).where(User.username == username))).scalar_one()
        return list((await s.execute(select(Notification).where(
            Notification.user_id == uid, Notification.case_id == case_id).order_by(Notification.id))).scalars())


async def _due(db, deadline_id: str) -> datetime:
    async with db.session_factory() as s:
        return (await s.get(Deadline, deadline_id)).due_at


async def test_the_officer_is_told_of_a_return_an_extension_and_a_supervision(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000401"
    h = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(h, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(h, DisclosureWorkflow.accept, a["jyj_officer"])
    await act(h, DisclosureWorkflow.draft_reply, a["jyj_officer"], "GRANTED", "granted", "经审查，予以公开。")
    await act(h, DisclosureWorkflow.sign_off, a["gkb_head"], False, "请补充公开方式")
    due = await _due(db, f"{rid}/reply")
    assert deadline_text(due) == "截止 2026-12-29 24:00"
    returned = await _notes(db, "jyj_officer", rid)
    assert [n.title for n in returned] == [f"【答复草稿退回】依申请公开 {rid}"]
    assert "请补充公开方式" in returned[0].body and "答复期限截止 2026-12-29 24:00（北京时间）" in returned[0].body
    assert not await _notes(db, "zrzy_officer", rid)  # only the case's officer

    await act(h, DisclosureWorkflow.request_extension, a["jyj_officer"], 5, "需调取档案")
    await act(h, DisclosureWorkflow.decide_extension, a["gkb_head"], True, "同意")
    extended = deadline_text(await _due(db, f"{rid}/reply"))
    assert extended != "截止 2026-12-29 24:00"
    told = (await _notes(db, "jyj_officer", rid))[-1]
    assert told.title == f"【延期已批准】依申请公开 {rid}" and f"答复期限{extended}" in told.body

    await act(h, DisclosureWorkflow.supervise, a["duban"], "请加快办理")
    supervised = (await _notes(db, "jyj_officer", rid))[-1]
    assert supervised.title == f"【督办】您办理的依申请公开 {rid}" and "请加快办理" in supervised.body
    assert "赵敏" in supervised.body and "duban" not in supervised.body  # the supervisor by name
    assert len(await _notes(db, "jyj_officer", rid)) == 3
    record((await h.fetch_history()).to_json(), "disclosure", "officer_notices")


async def test_an_extension_refused_is_told_too(env, db, run):
    a = await actors(db)
    rid = "DR-2026-000402"
    h = await start(env, run, request_input(rid, await department_id(db, "JYJ"), await env.get_current_time()))
    await act(h, DisclosureWorkflow.claim, a["jyj_officer"])
    await act(h, DisclosureWorkflow.accept, a["jyj_officer"])
    await act(h, DisclosureWorkflow.request_extension, a["jyj_officer"], 5, "需调取档案")
    await act(h, DisclosureWorkflow.decide_extension, a["gkb_head"], False, "理由不足")
    [told] = await _notes(db, "jyj_officer", rid)
    assert told.title.startswith("【延期未批准】") and "理由不足" in told.body
    assert "答复期限截止 2026-12-29 24:00" in told.body


async def test_the_drafter_is_told_when_a_policy_document_comes_back(env, db, run):
    a = await actors(db)
    cid = "PD-2026-000401"
    h = await start_policy(env, db, run, cid)
    await act(h, PolicyWorkflow.update_draft, a["jyj_officer"], COMPLETE)
    view = await act(h, PolicyWorkflow.submit, a["jyj_officer"])
    await act(h, PolicyWorkflow.sign, a["jyj_head"], view.document_version, False, "依据不充分")
    [told] = await _notes(db, "jyj_officer", cid)
    assert told.title.startswith("【文件退回】") and "部门负责人审签退回" in told.body and "依据不充分" in told.body
    record((await h.fetch_history()).to_json(), "policy", "drafter_told")
